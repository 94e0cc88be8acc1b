"""UI test setup: offscreen Qt, a tiny ONNX model, the bundled demo clip; never a camera."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import re  # noqa: E402

import pytest  # noqa: E402

from tests.core.conftest import make_model  # noqa: E402  (the tiny-model builder, reused)

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

CROSS_THREAD = re.compile(r"another thread|different thread", re.IGNORECASE)


@pytest.fixture(scope="session", autouse=True)
def _pyside_emit_guard():
    from app.ui.compat import guard_singleton_refcounts

    guard_singleton_refcounts()  # PySide6 6.12.0 defect, see app/ui/compat.py


@pytest.fixture(autouse=True)
def _private_session_data(monkeypatch, tmp_path):
    """Sessions go to a temporary folder, never the user's data folder."""
    monkeypatch.setenv("FER_COMPANION_DATA", str(tmp_path / "sessions"))


@pytest.fixture(autouse=True)
def _private_settings(tmp_path):
    """Remembered settings (clinician, window) go to a temporary folder."""
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))


@pytest.fixture(autouse=True)
def _no_cross_thread_qt_use(qtlog):
    """Fail a test in which Qt warned of an object used from a thread it does not live in
    (e.g. "QObject::killTimer: Timers cannot be stopped from another thread")."""
    yield
    wrong = [r.message for r in qtlog.records if CROSS_THREAD.search(r.message)]
    assert not wrong, f"Qt objects used across threads: {wrong}"


@pytest.fixture
def in_gui_thread():
    """`in_gui_thread(worker.sigX)`: the same emissions, re-emitted in the GUI thread, for
    `qtbot.waitSignal`. Waiting on a worker thread's signal itself runs pytest-qt's blocker in
    that thread, which then stops its timeout QTimer there (pytest-qt PR 649). Arguments come
    as one tuple: `blocker.args[0]`."""
    from PySide6.QtCore import QObject, Qt, Signal

    class Relay(QObject):
        sigRelayed = Signal(object)

        def forward(self, *args) -> None:  # queued: runs in this object's (the GUI) thread
            self.sigRelayed.emit(args)

    relays = []

    def relay(signal):
        relays.append(Relay())
        signal.connect(relays[-1].forward, Qt.ConnectionType.QueuedConnection)
        return relays[-1].sigRelayed

    yield relay
    for r in relays:
        r.deleteLater()


@pytest.fixture
def store(tmp_path):
    from app.core.session.store import SessionStore

    with SessionStore(tmp_path / "store") as s:
        yield s


@pytest.fixture(scope="session")
def ui_model(tmp_path_factory):
    return make_model(tmp_path_factory.mktemp("ui_models") / "tiny.onnx")


@pytest.fixture
def analyzer(ui_model):
    from app.core.analysis.analyzer import Analyzer

    return Analyzer(ui_model, device="cpu")


@pytest.fixture
def demo_clip():
    from app.ui.startup import DEMO_CLIP

    assert DEMO_CLIP.is_file(), f"bundled demo clip missing: {DEMO_CLIP}"
    return DEMO_CLIP


@pytest.fixture
def window(qtbot, analyzer, demo_clip, store):
    """The main window playing the demo clip in real time, recording to a temporary store;
    closed (worker stopped, recording flushed) before the store closes."""
    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(demo_clip), store=store, patient_code="P-001")
    win.ask_details = lambda previous, source: previous  # the new-session dialog: accepted
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: win.model.info is not None and win.video.packet is not None,
                    timeout=10_000)
    yield win
    win.close()
