"""A note made while another program locks the database (issue 13.3): the window does not wait
for the lock, and the note is saved once the lock is gone, never lost."""

from __future__ import annotations

import sqlite3
import threading
import time


def _lock(db_path) -> sqlite3.Connection:
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # another program writing: nobody else may write
    return other


def test_note_made_while_locked_is_kept_and_saved_later(window, store, qtbot):
    store.busy_timeout_s = 30.0  # a window that waited for the lock would hang 30 s
    store._conn.execute("PRAGMA busy_timeout=30000")
    sid = window.sessions.session_id
    other = _lock(store.path)
    release = threading.Timer(3.0, other.rollback)  # the other program ends after 3 s
    release.start()
    try:
        start = time.monotonic()
        note = window.notes.begin_note(2.0)
        window.model.update_note(note.id, text="looks away", perceived="sad")
        blocked = time.monotonic() - start
        assert blocked < 2.5, f"the window waited {blocked:.1f} s for the database"
        assert "Note kept" in window.status.saving.text() + window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: [(n.time_s, n.text, n.perceived)
                                 for n in store.load_session(sid).notes]
                        == [(2.0, "looks away", "sad")], timeout=20_000)
    finally:
        release.join()
        other.close()
    window.model.remove_note(note.id)  # the saved note is still the model's note
    qtbot.waitUntil(lambda: store.load_session(sid).notes == [], timeout=10_000)


def test_recorder_keeps_note_changes_in_order_while_locked(store, tmp_path):
    from app.core.session.notes import Note
    from app.core.session.recorder import SessionRecorder
    from app.core.session.store import SessionMeta

    sid = store.create_session(SessionMeta("P-1", ("happy", "sad")))
    rec = SessionRecorder(store, sid, flush_interval_s=0.05)
    other = _lock(store.path)
    store._conn.execute("PRAGMA busy_timeout=50")
    try:
        assert rec.keep_note("a", Note(1.0, "first")) is not None  # queued, not lost
        assert rec.keep_note("a", Note(1.0, "first, edited", "happy")) is not None
        assert rec.keep_note("b", Note(2.0, "second")) is not None
        assert rec.forget_note("b") is not None
        assert rec.pending_notes == 4
    finally:
        other.rollback()
        other.close()
    rec.close()
    assert [(n.time_s, n.text, n.perceived) for n in store.load_session(sid).notes] == [
        (1.0, "first, edited", "happy")]
    assert rec.pending_notes == 0
