"""A patient per session: every new session asks who it is about; the demo records nothing."""

from __future__ import annotations

import cv2
import numpy as np


def _still(tmp_path):
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((120, 160, 3), 128, np.uint8))
    return still


def test_opening_another_source_asks_for_the_new_patient(window, store, qtbot, tmp_path):
    from app.ui import settings
    from app.ui.session_details import SessionDetails

    asked = []

    def answer(previous, source):
        asked.append((previous, source))
        return SessionDetails("P-002", "Dr Lena Ortiz", "follow-up")

    window.ask_details = answer
    window.open_source(str(_still(tmp_path)))
    qtbot.waitUntil(lambda: window.model.info.kind == "image", timeout=10_000)
    assert asked[0][0].patient_code == "P-001"  # pre-filled with the previous code
    meta = store.load_session(window.sessions.session_id).meta
    assert (meta.patient_code, meta.clinician, meta.title) == ("P-002", "Dr Lena Ortiz",
                                                               "follow-up")
    assert {s.patient_code for s in store.list_sessions()} == {"P-001", "P-002"}
    assert settings.get("clinician") == "Dr Lena Ortiz"  # kept for the next session


def test_cancelling_the_new_session_keeps_the_current_one(window, store, qtbot, tmp_path):
    session, worker = window.sessions.session_id, window.worker
    window.ask_details = lambda previous, source: None
    window.open_source(str(_still(tmp_path)))
    qtbot.wait(300)
    assert window.worker is worker and window._pending is None
    assert window.sessions.session_id == session and len(store.list_sessions()) == 1


def test_the_dialog_refuses_a_name_and_prefills_the_code(qtbot):
    from app.ui.session_details import SessionDetails, SessionDetailsDialog

    dialog = SessionDetailsDialog(SessionDetails("P-009", "Dr A"), source="demo.mp4")
    qtbot.addWidget(dialog)
    assert dialog.code.text() == "P-009" and dialog.clinician.text() == "Dr A"
    dialog.code.setText("Anna Smith")
    dialog.accept()
    assert "not a code" in dialog.error.text() and dialog.result() == 0
    dialog.code.setText("P-010")
    qtbot.keyClicks(dialog.title, "intake")
    dialog.accept()
    assert dialog.result() == 1 and dialog.details() == SessionDetails("P-010", "Dr A", "intake")


def test_the_demo_clip_records_no_session_until_one_is_started(qtbot, analyzer, demo_clip,
                                                               store):
    from app.ui.main_window import MainWindow
    from app.ui.session_details import SessionDetails

    win = MainWindow(analyzer, str(demo_clip), store=store, demo=True)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.model.buffer.analysed >= 5, timeout=10_000)
        assert store.list_sessions() == [] and win.sessions.session_id is None
        assert "Demo" in win.status.saving.text() and "demo" in win.windowTitle()
        win.ask_details = lambda previous, source: SessionDetails("P-005", "Dr B")
        win.new_session()  # File > New session… on the demo clip
        qtbot.waitUntil(lambda: win.sessions.session_id is not None, timeout=10_000)
        assert [s.patient_code for s in store.list_sessions()] == ["P-005"]
        assert not win.demo and "Saving session" in win.status.saving.text()
    finally:
        win.close()


def test_new_session_has_a_shortcut(window):
    action = window.actions_by_text["New session…"]
    assert action.shortcut().toString() == "Ctrl+Shift+N"


def test_video_consent_is_asked_only_for_a_source_that_may_be_live(qtbot, tmp_path):
    from app.ui.session_details import SessionDetails, SessionDetailsDialog, could_be_live

    assert could_be_live(0) and could_be_live("rtsp://cam.local/stream")
    assert could_be_live("http://10.0.0.5:8080/video.mjpg")
    assert not could_be_live(str(tmp_path / "interview.mp4"))
    assert not could_be_live(tmp_path / "interview.mp4")
    previous = SessionDetails("P-001", "Dr A", "", record_video=True)
    live = SessionDetailsDialog(previous, source="camera 0", live=True)
    recording = SessionDetailsDialog(previous, source="interview.mp4", live=False)
    qtbot.addWidget(live)
    qtbot.addWidget(recording)
    live.show()
    recording.show()
    assert live.record.isVisible() and not recording.record.isVisible()
    assert not recording.details().record_video  # nothing to record for a recording


def test_the_new_session_dialog_never_shows_a_stream_password(qtbot, monkeypatch):
    from PySide6.QtWidgets import QDialog, QLabel

    from app.ui import session_details

    shown = []

    def fake_exec(self):
        shown.extend(label.text() for label in self.findChildren(QLabel))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(session_details.SessionDetailsDialog, "exec", fake_exec)
    session_details.ask_session_details(None, session_details.SessionDetails("", ""),
                                        "rtsp://nurse:s3cret@10.0.0.9/stream1")
    assert any("rtsp://nurse@10.0.0.9/stream1" in t for t in shown)
    assert not any("s3cret" in t for t in shown)


def test_opening_a_recording_keeps_the_clinicians_video_choice(window, store, qtbot, tmp_path):
    from app.ui import settings
    from app.ui.session_details import SessionDetails, remember_consent_choice

    remember_consent_choice("Dr Video", True)
    window.ask_details = lambda previous, source: SessionDetails("P-009", "Dr Video")
    window.open_source(str(_still(tmp_path)))  # a file: no consent was asked
    qtbot.waitUntil(lambda: window.model.info.kind == "image", timeout=10_000)
    assert settings.get("record_video/Dr Video", False, bool)
