"""Qt object lifetimes (issue 13.2 and 13.4): nothing freed off its thread, nothing kept for good.

The segfault on reopening: Python's cycle collector ran in the session-loading thread (it
allocates a lot) and freed GUI objects caught in reference cycles there, off their thread, so
their Qt timers later fired on freed memory. Stopped workers were kept with their whole result
cache for the window's lifetime.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

REPO = Path(__file__).resolve().parents[2]


class _Cyclic(QObject):
    """A GUI-thread object with a timer, caught in a reference cycle (as pyqtgraph items are)."""

    def __init__(self, deaths: list):
        super().__init__()
        self.timer = QTimer(self)
        self.me = self
        self.destroyed.connect(lambda *_: deaths.append(threading.get_ident()))


def test_gui_objects_in_cycles_are_freed_on_the_gui_thread(window, qtbot):
    deaths: list[int] = []
    _Cyclic(deaths)  # garbage from now on, reachable only through its own cycle

    def allocate():  # as loading a long session does: enough containers to trigger the GC
        for _ in range(30):
            [(i, [i]) for i in range(20_000)]

    loader = threading.Thread(target=allocate)
    loader.start()
    loader.join()
    qtbot.waitUntil(lambda: bool(deaths) or gc.collect() < 0, timeout=5000)
    assert deaths == [threading.get_ident()], "freed by the loading thread, off its own"


def test_background_relays_are_deleted_on_the_gui_thread(qapp, qtbot, monkeypatch):
    from app.ui import background

    deaths: list[int] = []

    class Watched(background._Relay):
        def __init__(self, *args):
            super().__init__(*args)
            self.destroyed.connect(lambda *_: deaths.append(threading.get_ident()))

    monkeypatch.setattr(background, "_Relay", Watched)
    results = []
    for _ in range(20):
        background.run_in_background(lambda: list(range(1000)), results.append, None)
    qtbot.waitUntil(lambda: len(results) == 20, timeout=10_000)
    qtbot.waitUntil(lambda: len(deaths) == 20 or gc.collect() < 0, timeout=5000)
    assert set(deaths) == {threading.get_ident()}


def test_switching_sources_frees_the_old_workers(window, qtbot, demo_clip):
    refs = []
    for _ in range(3):
        old = window.worker
        qtbot.waitUntil(lambda w=old: w._cache.get(0) is not None, timeout=10_000)
        refs.append(weakref.ref(old))
        window.open_source(str(demo_clip))
        qtbot.waitUntil(lambda w=old: window.worker is not w and window.worker is not None,
                        timeout=10_000)
        del old
    qtbot.waitUntil(lambda: gc.collect() >= 0 and all(r() is None for r in refs),
                    timeout=5000)
    assert window._retired == []


STRESS = r"""
import os, sys, time
from PySide6.QtWidgets import QApplication
from app.ui.compat import guard_singleton_refcounts
guard_singleton_refcounts()
app = QApplication([])
from app.core.analysis.analyzer import Analyzer
from app.core.analysis.results import FrameResult
from app.core.session.notes import Note
from app.core.session.store import SessionMeta, SessionStore
from app.ui.main_window import MainWindow
from app.ui.sessions_dialog import SessionsDialog
from app.ui.startup import DEMO_CLIP

analyzer = Analyzer(sys.argv[1], device="cpu")
store = SessionStore(sys.argv[2])
old = []
for s in range(2):  # older sessions: many frames (a long load) and notes (timeline markers)
    sid = store.create_session(SessionMeta(f"P-{s}", analyzer.classes, source="camera 0"))
    store.add_frames(sid, [FrameResult(i, i / 30, (), "happy", (0.7, 0.1, 0.1, 0.1))
                           for i in range(10_000)])
    for k in range(20):
        store.add_note(sid, Note(k * 3.0, f"note {k}", "sad"))
    old.append(sid)
win = MainWindow(analyzer, str(DEMO_CLIP), store=store, patient_code="P-9")
win.show()

def wait(cond, limit=30.0):
    end = time.monotonic() + limit
    while not cond():
        app.processEvents()
        time.sleep(0.002)
        if time.monotonic() > end:
            sys.exit("timed out")

wait(lambda: win.video.packet is not None)
first = win.sessions.session_id
for i in range(int(sys.argv[3])):
    sid = (old + [first])[i % 3]
    dialog = SessionsDialog(store, win.sessions.session_id, win)  # as File > Sessions does
    dialog.sigReopen.connect(win.reopen_session)
    dialog.show()
    dialog.table.selectRow(next(r for r, s in enumerate(dialog.sessions) if s.id == sid))
    dialog.reopen_selected()
    wait(lambda: win.sessions.session_id == sid and win.model.info is not None)
    if win.worker is not None:
        win.worker.play()
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        app.processEvents()
win.close()
store.close()
print("reopened", sys.argv[3], "times")
"""


def test_reopening_sessions_many_times(ui_model, tmp_path):
    """File > Sessions > Reopen, 18 times in one app (older sessions and the first one):
    the app survives (a segfault would end the child process with -11)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-c", STRESS, str(ui_model), str(tmp_path / "db"),
                          "18"], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-1500:]}"
    assert "reopened 18 times" in run.stdout


def test_result_cache_keeps_a_long_session_small_and_exact():
    """A 2-hour session at 30 frames/s is 216,000 results kept for seeking back: as objects
    they took ~570 bytes each (~120 MB); packed they take under 200 and read back equal."""
    import tracemalloc

    from app.core.analysis.results import Face, FrameResult
    from app.ui.frame_packet import ResultCache

    classes = ("happy", "sad", "surprise", "neutral")

    def result(i):
        probs = (0.1 + i * 1e-7, 0.2, 0.3, 0.4 - i * 1e-7)
        if i % 10 == 0:
            return FrameResult(i, i / 30)
        return FrameResult(i, i / 30, (Face((300 + i % 7, 120, 260, 261), 1, probs, "neutral",
                                            True),), "neutral", probs)

    tracemalloc.start()
    cache = ResultCache(classes=classes)
    before = tracemalloc.get_traced_memory()[0]
    for i in range(20_000):
        cache.put(result(i))
    per_frame = (tracemalloc.get_traced_memory()[0] - before) / 20_000
    tracemalloc.stop()
    assert per_frame < 200, f"{per_frame:.0f} bytes a frame"
    assert all(cache.get(i) == result(i) for i in (0, 1, 2, 9_999, 19_999))
    assert cache.get(20_000) is None and len(cache) == 20_000
