"""Recording a live or analysed session into the `SessionStore` as it happens.

    rec = SessionRecorder(store, session_id)      # starts a small flusher thread
    rec.add(result)                               # producer thread, per frame: only buffers
    rec.add_note(12.5, "looks away", "sad")       # GUI thread: written through, returns Note
    rec.close()                                   # flushes what is left

Frames are buffered and written in one transaction every `flush_interval_s` (0.5 s by default)
by a background thread, so the producer (capture + inference) never waits for the disk and a
killed process loses at most the last ~second of frames. Notes are committed before `add_note`
returns. If a write fails (disk full, database locked), the frames stay buffered and are
retried on the next tick; the next `add` raises the `SessionStoreError` once so the producer can
tell the user, and nothing is dropped.
"""

from __future__ import annotations

import threading

from app.core.analysis.results import FrameResult
from app.core.session.notes import Note
from app.core.session.store import SessionStore, SessionStoreError


class SessionRecorder:
    def __init__(self, store: SessionStore, session_id: int, *, flush_interval_s: float = 0.5):
        self.store = store
        self.session_id = session_id
        self.flush_interval_s = flush_interval_s
        self.frames_written = 0
        self._buffer: list[FrameResult] = []
        self._lock = threading.Lock()  # guards the buffer and the pending error
        self._flush_lock = threading.Lock()  # one flush at a time keeps frames in order
        self._error: SessionStoreError | None = None
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="session-recorder", daemon=True)
        self._thread.start()

    def add(self, result: FrameResult) -> None:
        """Buffer one frame result (cheap; written within `flush_interval_s`)."""
        if self._closed:
            raise SessionStoreError("the session recording was already closed")
        with self._lock:
            self._buffer.append(result)
            error, self._error = self._error, None
        if error is not None:
            raise error

    @property
    def pending(self) -> int:
        """Frames buffered but not yet written."""
        with self._lock:
            return len(self._buffer)

    def flush(self) -> None:
        """Write every buffered frame now (raises SessionStoreError; the frames stay buffered)."""
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return
            try:
                self.store.add_frames(self.session_id, batch)
            except BaseException:
                with self._lock:
                    self._buffer[:0] = batch  # keep them, in order, for the next attempt
                raise
            self.frames_written += len(batch)

    def add_note(self, time_s: float, text: str, perceived: str | None = None) -> Note:
        """Save a note at once; returns it with its id."""
        return self.store.add_note(self.session_id, Note(float(time_s), text, perceived))

    def update_note(self, note: Note) -> Note:
        return self.store.update_note(note)

    def delete_note(self, note_id: int) -> None:
        self.store.delete_note(note_id)

    def close(self) -> None:
        """Stop the flusher and write what is left (raises SessionStoreError if it cannot)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join()
        self.flush()

    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            try:
                self.flush()
            except SessionStoreError as exc:
                with self._lock:
                    self._error = exc  # reported by the next add()
