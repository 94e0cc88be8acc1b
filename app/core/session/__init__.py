"""Sessions: the SQLite store, the crash-safe recorder, session types and notes."""
