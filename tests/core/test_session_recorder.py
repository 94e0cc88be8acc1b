"""The recorder: buffered frames reach the store; a kill -9 loses at most the last second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.core.session.recorder import SessionRecorder
from app.core.session.store import SessionMeta, SessionStore, SessionStoreError
from tests.core.crash_writer import CLASSES, synthetic_frame, synthetic_frames

WRITER = Path(__file__).with_name("crash_writer.py")


def test_recorder_writes_frames_and_notes(tmp_path):
    frames = synthetic_frames(250)
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session(SessionMeta("P-1", CLASSES))
        rec = SessionRecorder(store, sid, flush_interval_s=60)  # only explicit flushes here
        for f in frames[:100]:
            rec.add(f)
        assert rec.pending == 100 and store.load_session(sid).frames == []
        note = rec.add_note(2.0, "written through at once", "sad")
        assert store.load_session(sid).notes == [note]  # before any frame flush
        rec.flush()
        assert rec.pending == 0 and store.load_session(sid).frames == frames[:100]

        # the GUI thread adds notes while the producer adds frames
        gui = threading.Thread(target=lambda: [rec.add_note(i / 10, f"n{i}") for i in range(20)])
        gui.start()
        for f in frames[100:]:
            rec.add(f)
        gui.join()
        rec.close()
        loaded = store.load_session(sid)
        assert loaded.frames == frames and len(loaded.notes) == 21
        assert rec.frames_written == 250
        with pytest.raises(SessionStoreError, match="closed"):
            rec.add(frames[0])


def test_failed_flush_keeps_the_frames(tmp_path):
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session(SessionMeta("P-1", CLASSES))
        rec = SessionRecorder(store, sid, flush_interval_s=60)
        good = synthetic_frames(5)
        rec.add(synthetic_frame(3))
        store.add_frames(sid, good[3:4])  # frame 3 is already there: the flush must fail
        with pytest.raises(SessionStoreError):
            rec.flush()
        assert rec.pending == 1  # kept for a retry, not dropped
        rec._buffer.clear()
        rec.close()


def test_kill_9_loses_at_most_the_last_second(tmp_path):
    db = tmp_path / "crash.sqlite3"
    fps = 100
    child = subprocess.Popen([sys.executable, str(WRITER), str(db), str(fps)],
                             stdout=subprocess.PIPE, text=True)
    notes: set[int] = set()
    last_frame = -1
    try:
        assert child.stdout.readline().startswith("session ")
        for line in child.stdout:  # the child's own progress is the only synchronisation
            kind, value, *_ = line.split()
            if kind == "note":
                notes.add(int(value))
            elif kind == "frame":
                last_frame = int(value)
                if last_frame >= 1.5 * fps:  # a few flushes have happened
                    break
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    with SessionStore(db) as store:
        (summary,) = store.list_sessions()
        loaded = store.load_session(summary.id)
    stored_notes = {n.id for n in loaded.notes}
    assert notes <= stored_notes, "a note reported as saved is missing"
    assert len(loaded.frames) >= last_frame - fps, (len(loaded.frames), last_frame)
    # no holes, and exactly what was recorded
    assert loaded.frames == [synthetic_frame(i, fps) for i in range(len(loaded.frames))]
