"""Starting, switching sources, and errors: one line on the command line, a message in the GUI."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtWidgets import QMessageBox


def test_bad_model_on_command_line_is_one_line_and_exit_2(tmp_path, capsys, demo_clip,
                                                          monkeypatch):
    from app.ui import main as app_main
    from app.ui.main import main

    monkeypatch.setattr(app_main, "show_start_error", lambda text: None)

    code = main(["--model", str(tmp_path / "missing.onnx"), "--source", str(demo_clip)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("fer-companion: error: model not found")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_source_on_command_line_is_one_line_a_dialog_and_exit_2(tmp_path, capsys,
                                                                    ui_model, monkeypatch):
    from app.ui import main as app_main
    from app.ui.main import main

    dialogs: list[str] = []
    monkeypatch.setattr(app_main, "show_start_error", dialogs.append)
    code = main(["--model", str(ui_model), "--source", str(tmp_path / "nope.mp4")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"fer-companion: error: {tmp_path / 'nope.mp4'}: no such file\n"
    assert dialogs == [f"{tmp_path / 'nope.mp4'}: no such file"]  # not only a terminal line


def test_the_start_error_dialog_names_the_problem(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from app.ui.main import show_start_error

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    show_start_error("interview.mpp: no such file")
    assert shown and shown[0].startswith("interview.mpp: no such file")


def test_missing_xcb_libraries_are_one_line_naming_the_packages(capsys, monkeypatch):
    import ctypes.util

    from app.ui.main import main
    from app.ui.platform_check import check_qt_platform

    env = {"DISPLAY": ":0"}
    assert check_qt_platform(env, find=lambda lib: "lib.so") is None
    line = check_qt_platform(env, find=lambda lib: None if lib == "xcb-cursor" else "lib.so")
    assert line.endswith("sudo apt install libxcb-cursor0")
    assert check_qt_platform({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"},
                             find=lambda lib: None) is None
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(ctypes.util, "find_library",
                        lambda lib: None if lib == "xcb-cursor" else "lib.so")
    assert main(["--quit-after", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "libxcb-cursor0" in err and "Traceback" not in err


def test_without_a_camera_the_app_starts_on_the_demo_clip(monkeypatch):
    from app.ui import startup

    monkeypatch.setattr(startup, "probe_camera", lambda index: False)
    source = startup.initial_source(None)
    try:
        assert source.name == "demo.mp4" and source.kind == "file"
    finally:
        source.close()


def test_main_runs_the_window_and_saves_a_screenshot(qapp, tmp_path, ui_model, demo_clip):
    from app.ui.main import main

    shot = tmp_path / "shot.png"
    code = main(["--model", str(ui_model), "--source", str(demo_clip), "--device", "cpu",
                 "--quit-after", "1", "--screenshot", str(shot)])
    assert code == 0
    assert shot.stat().st_size > 10_000


def test_opening_a_bad_source_in_the_gui_keeps_the_session(window, qtbot, monkeypatch,
                                                           tmp_path):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    worker = window.worker
    window.open_source(str(tmp_path / "missing.mp4"))
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "no such file" in shown[0]
    assert window.worker is worker and window.worker_thread.isRunning()
    assert window.model.info.name == "demo.mp4"


def test_opening_another_source_switches_worker_and_session(window, qtbot, tmp_path):
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((120, 160, 3), 128, np.uint8))
    window.notes.begin_note(0.5)
    old_thread = window.worker_thread
    window.open_source(str(still))
    qtbot.waitUntil(lambda: window.model.info.kind == "image", timeout=10_000)
    assert old_thread.isFinished()
    assert window.notes.count() == 0  # a new session
    qtbot.waitUntil(lambda: window.video.packet is not None
                    and window.video.packet.frame_size == (160, 120), timeout=10_000)
    assert window.video.packet.result is not None  # a still image is analysed at once
    assert not window.transport.slider.isVisibleTo(window)


def test_source_dialog_lists_probed_cameras_and_takes_a_url(qtbot):
    from app.ui.source_dialog import SourceDialog

    dialog = SourceDialog(probe=lambda: [0, 2])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.cameras.count() == 2, timeout=5000)
    dialog.tabs.setCurrentIndex(0)
    assert dialog.spec() == 0
    dialog.tabs.setCurrentIndex(2)
    dialog.url.setText(" rtsp://room-3.local/stream ")
    assert dialog.spec() == "rtsp://room-3.local/stream"
    dialog.tabs.setCurrentIndex(1)
    assert dialog.spec() is None


def test_help_dialog_lists_the_shortcuts(window, qtbot):
    dialog = window.show_help()
    qtbot.addWidget(dialog)
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
            for r in range(dialog.table.rowCount())}
    assert rows["Play / pause"] == "Space"
    assert rows["New note at current time"] == "Ctrl+N  or  N"
    assert rows["Back 5 s"] == "Left"


def test_dialogs_are_not_kept_once_closed(window, qtbot):
    """Help, the source picker, session details and baseline dialogs leave no hidden child of
    the window behind (each use used to add one)."""
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    from app.ui.baseline_dialog import ask_baseline
    from app.ui.session_details import ask_session_details

    def dialogs():
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return window.findChildren(QDialog)

    before = len(dialogs())
    window.show_help().close()
    window.show_model().close()
    assert len(dialogs()) == before

    def cancel():
        QApplication.activeModalWidget().reject()

    for open_it in (window.open_source_dialog,
                    lambda: ask_session_details(window, window.sessions.details, "clip.mp4"),
                    lambda: ask_baseline(window, window.model)):
        QTimer.singleShot(0, cancel)
        open_it()
        assert len(dialogs()) == before


def test_source_dialog_takes_typing_at_once_and_remembers_the_stream(qtbot):
    """Issue 27.6: the path field had no focus (typed text was lost); a stream URL had to be
    typed again every time. The address is remembered, its password never."""
    from PySide6.QtCore import Qt

    from app.ui import settings
    from app.ui.source_dialog import SourceDialog

    dialog = SourceDialog(probe=lambda: [])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.focusWidget() is dialog.path
    qtbot.keyClicks(dialog.focusWidget(), "/data/interview.mp4")  # typed straight away
    assert dialog.spec() == "/data/interview.mp4"
    dialog.tabs.setCurrentIndex(2)
    assert dialog.focusWidget() is dialog.url
    qtbot.keyClicks(dialog.focusWidget(), "rtsp://nurse@room-3.local:554/stream")
    dialog.password.setText("s3cr:t")
    assert dialog.spec() == "rtsp://nurse:s3cr%3At@room-3.local:554/stream"
    qtbot.keyClick(dialog.url, Qt.Key.Key_Return)
    assert dialog.result() == SourceDialog.DialogCode.Accepted
    assert "s3cr" not in str(settings.get("source/stream_url"))

    again = SourceDialog(probe=lambda: [])  # reopened: the stream tab, its address filled in
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.tabs.currentIndex() == 2 and again.focusWidget() is again.url
    assert again.url.text() == "rtsp://nurse@room-3.local:554/stream"
    assert again.password.text() == ""


def test_counts_read_as_words():
    from app.ui.wording import count

    assert (count(1, "session"), count(2, "session"), count(0, "camera")) == \
        ("1 session", "2 sessions", "0 cameras")
