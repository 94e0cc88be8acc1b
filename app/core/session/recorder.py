"""Recording a live or analysed session into the `SessionStore` as it happens.

    rec = SessionRecorder(store, session_id)      # starts a small flusher thread
    rec.add(result)                               # producer thread, per frame: only buffers
    rec.add_note(12.5, "looks away", "sad")       # GUI thread: written through, returns Note
    rec.close()                                   # flushes what is left

Frames are buffered and written in one transaction every `flush_interval_s` (0.5 s by default)
by a background thread, so the producer (capture + inference) never waits for the disk and a
killed process loses at most the last ~second of frames. Notes are committed before `add_note`
returns; the app uses `keep_note`/`forget_note` instead, which never wait: a note the database
cannot take at once (locked by another program) is queued and retried with the frames. If a
write fails (disk full, database locked), the frames stay buffered and are retried on the next
tick; the next `add` raises the `SessionStoreError` once so the producer can
tell the user, and nothing is dropped.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable
from dataclasses import replace

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
        self._replacing = False  # the buffer holds frames analysed again (stored already)
        self._lock = threading.Lock()  # guards the buffer and the pending error
        self._flush_lock = threading.Lock()  # one flush at a time keeps frames in order
        self._error: SessionStoreError | None = None
        self._note_ops: deque[tuple[Hashable, Note | None]] = deque()  # None: delete
        self._note_ids: dict[Hashable, int] = {}  # caller's note key -> database id
        self._notes_writer = threading.Lock()  # one writer at a time keeps notes in order
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="session-recorder", daemon=True)
        self._thread.start()

    def add(self, result: FrameResult, replace: bool = False) -> None:
        """Buffer one frame result (cheap; written within `flush_interval_s`). `replace`: the
        frame was analysed again; its new result takes the stored one's place."""
        if self._closed:
            raise SessionStoreError("the session recording was already closed")
        with self._lock:
            self._buffer.append(result)
            self._replacing |= replace
            error, self._error = self._error, None
        if error is not None:
            raise error

    @property
    def pending(self) -> int:
        """Frames buffered but not yet written."""
        with self._lock:
            return len(self._buffer)

    def flush(self) -> None:
        """Write every buffered frame and queued note now (raises SessionStoreError; what
        could not be written stays queued)."""
        try:
            self._flush_frames()
        finally:
            self._write_notes(wait=True)

    def _flush_frames(self) -> None:
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
                replacing, self._replacing = self._replacing, False
            if not batch:
                return
            try:
                if replacing:  # frames analysed again among them: they replace stored ones
                    self.store.add_frames(self.session_id, batch, replace=True)
                else:
                    self.store.add_frames(self.session_id, batch)
            except BaseException:
                with self._lock:
                    self._buffer[:0] = batch  # keep them, in order, for the next attempt
                    self._replacing |= replacing
                raise
            self.frames_written += len(batch)

    # -- notes that never block and are never lost (the app) -------------------------------
    def keep_note(self, key: Hashable, note: Note) -> SessionStoreError | None:
        """Save (add, or update if `key` was saved before) a note without ever waiting.

        Written at once when the database is free; otherwise queued, in order, and retried by
        the flusher until it is written. Returns None if written now, else why it waits."""
        with self._lock:
            self._note_ops.append((key, note))
        return self._write_notes(wait=False)

    def forget_note(self, key: Hashable) -> SessionStoreError | None:
        """Delete note `key` (saved or still queued) as `keep_note` saves it."""
        with self._lock:
            self._note_ops.append((key, None))
        return self._write_notes(wait=False)

    def know_notes(self, ids: dict[Hashable, int]) -> None:
        """Notes already in the store (a reopened session): key -> database id."""
        with self._lock:
            self._note_ids.update(ids)

    @property
    def pending_notes(self) -> int:
        with self._lock:
            return len(self._note_ops)

    def _write_notes(self, wait: bool) -> SessionStoreError | None:
        """Apply queued note changes in order; stop at the first that fails (kept)."""
        if not self._notes_writer.acquire(blocking=wait):
            return SessionStoreError("the notes are being saved by the background writer")
        try:
            while True:
                with self._lock:
                    if not self._note_ops:
                        return None
                    key, note = self._note_ops[0]
                    db_id = self._note_ids.get(key)
                try:
                    if note is None:
                        if db_id is not None:
                            self.store.delete_note(db_id, wait=wait)
                    elif db_id is None:
                        saved = self.store.add_note(self.session_id, note, wait=wait)
                        db_id = saved.id
                    else:
                        self.store.update_note(replace(note, id=db_id), wait=wait)
                except SessionStoreError as exc:
                    if wait:
                        raise
                    return exc
                with self._lock:
                    self._note_ops.popleft()
                    if note is None:
                        self._note_ids.pop(key, None)
                    else:
                        self._note_ids[key] = db_id
        finally:
            self._notes_writer.release()

    # -- notes written through (fer-analyze, tests) ------------------------------------------
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
