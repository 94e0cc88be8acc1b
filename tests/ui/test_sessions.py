"""Sessions: recorded to the store as they happen, exported, listed, renamed, deleted, reopened."""

from __future__ import annotations

import csv

import pytest


def stored(store, window):
    return store.load_session(window.sessions.session_id)


def test_frames_and_notes_are_recorded_as_they_happen(window, store, qtbot):
    [summary] = store.list_sessions()
    assert summary.patient_code == "P-001"
    assert summary.source.endswith("demo.mp4")
    qtbot.waitUntil(lambda: store.list_sessions()[0].frames >= 10, timeout=10_000)
    note = window.notes.begin_note(1.5)  # committed at once, not batched
    assert [n.time_s for n in stored(store, window).notes] == [1.5]
    window.model.update_note(note.id, text="looks away", perceived="sad")
    assert [(n.text, n.perceived) for n in stored(store, window).notes] == [("looks away", "sad")]
    window.model.remove_note(note.id)
    assert stored(store, window).notes == []
    assert "Saving session" in window.status.saving.text()


def test_export_csv_and_pdf(window, store, qtbot, tmp_path):
    qtbot.waitUntil(lambda: window.model.buffer.analysed >= 10, timeout=10_000)
    window.notes.begin_note(0.5)
    frames_csv = tmp_path / "P-001_frames.csv"
    with qtbot.waitSignal(window.sessions.sigExported, timeout=20_000):
        window.export_csv(frames_csv)
    rows = list(csv.reader(frames_csv.open()))
    assert rows[0][:4] == ["frame", "time_s", "faces", "label"]
    assert len(rows) - 1 >= 10
    notes = list(csv.reader((tmp_path / "P-001_notes.csv").open()))
    assert notes[0][:4] == ["time_s", "text", "perceived", "model_label"] and len(notes) == 2
    pdf = tmp_path / "report.pdf"
    with qtbot.waitSignal(window.sessions.sigExported, timeout=60_000):
        window.export_pdf(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_sessions_dialog_renames_and_deletes_with_confirmation(window, store, qtbot):
    from app.core.session.store import SessionMeta
    from app.ui.sessions_dialog import SessionsDialog

    other = store.create_session(SessionMeta("P-002", window.model.classes, source="camera 0"))
    dialog = SessionsDialog(store, window.sessions.session_id, window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 2
    row = next(r for r, s in enumerate(dialog.sessions) if s.id == other)
    dialog.table.selectRow(row)
    dialog.ask_code = lambda code: "P-003"
    dialog.rename_selected()
    assert {s.patient_code for s in store.list_sessions()} == {"P-001", "P-003"}
    asked = []
    dialog.confirm = lambda question: asked.append(question) or False
    row = next(r for r, s in enumerate(dialog.sessions) if s.id == other)
    dialog.table.selectRow(row)
    dialog.delete_selected()
    assert asked and len(store.list_sessions()) == 2  # declined: kept
    dialog.confirm = lambda question: True
    dialog.table.selectRow(row)
    dialog.delete_selected()
    assert [s.id for s in store.list_sessions()] == [window.sessions.session_id]
    dialog.table.selectRow(0)  # the session being recorded cannot be deleted
    dialog.delete_selected()
    assert len(store.list_sessions()) == 1


def test_sessions_dialog_finds_a_patients_sessions(window, store, qtbot):
    from app.core.session.store import SessionMeta
    from app.ui.sessions_dialog import SessionsDialog

    ids = {code: store.create_session(SessionMeta(code, window.model.classes, clinician=who,
                                                  source=src, title=title))
           for code, who, src, title in (("P-102", "Dr Ortiz", "room3.mp4", "intake"),
                                         ("P-203", "Dr Lee", "camera 0", "follow-up"),
                                         ("p-102", "Dr Lee", "rtsp://room-3", "week 4"))}
    dialog = SessionsDialog(store, window.sessions.session_id, window)
    qtbot.addWidget(dialog)
    assert dialog.count.text() == "4 sessions"

    def shown():
        return {s.id for r, s in enumerate(dialog.sessions) if not dialog.table.isRowHidden(r)}

    dialog.find.setText("P-102")  # any case
    assert shown() == {ids["P-102"], ids["p-102"]} and dialog.count.text() == "2 of 4 sessions"
    assert dialog.selected().id in shown()  # the first one shown is selected
    dialog.find.setText("lee  room")  # every word, in any field
    assert shown() == {ids["p-102"]} and dialog.selected().id == ids["p-102"]
    dialog.find.setText("nobody")
    assert shown() == set() and dialog.selected() is None
    dialog.delete_selected()  # nothing shown, nothing selected: nothing deleted
    assert len(store.list_sessions()) == 4
    dialog.find.clear()
    assert len(shown()) == 4 and dialog.count.text() == "4 sessions"


def test_reopen_restores_timeline_and_notes_without_recomputing(window, store, qtbot):
    qtbot.waitUntil(lambda: window.model.buffer.analysed >= 24, timeout=10_000)
    window.notes.begin_note(0.4)
    window.model.update_note(window.model.notes[0].id, text="first smile", perceived="happy")
    sid = window.sessions.session_id
    window.worker.pause()
    qtbot.waitUntil(lambda: not window.worker.playing)
    window.sessions.recording.flush()
    saved = store.load_session(sid)
    old_worker = window.worker

    window.reopen_session(sid)
    qtbot.waitUntil(lambda: window.worker is not old_worker and window.video.packet is not None
                    and window.video.packet.index == 0 and bool(window.model.notes),
                    timeout=10_000)
    assert window.sessions.session_id == sid  # the same session goes on
    assert [(n.time_s, n.text) for n in window.model.notes] == [(0.4, "first smile")]
    assert window.model.buffer.analysed == len(saved.frames)
    packet = window.video.packet
    assert packet.result == saved.frames[0] and not packet.fresh  # from the store, not rerun
    assert window.worker.analysed_count == 0 and not window.worker.playing
    window.model.add_note(1.0, "after reopening")
    assert len(store.load_session(sid).notes) == 2


def test_reopen_of_a_live_session_shows_timeline_and_notes_without_video(window, store,
                                                                          qtbot):
    from app.core.analysis.results import FrameResult
    from app.core.session.notes import Note
    from app.core.session.store import SessionMeta

    sid = store.create_session(SessionMeta("P-009", window.model.classes, source="camera 0"))
    store.add_frames(sid, [FrameResult(i, i / 10, (), None, None) for i in range(5)])
    store.add_note(sid, Note(0.2, "restless"))
    window.reopen_session(sid)
    qtbot.waitUntil(lambda: window.sessions.session_id == sid, timeout=10_000)
    assert window.worker is None and window.model.info.kind == "stored"
    assert [n.text for n in window.model.notes] == ["restless"]
    assert window.model.buffer.analysed == 5


def test_the_sessions_dialog_is_deleted_once_closed(window, store, qtbot):
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.sessions_dialog import SessionsDialog

    def close_it(how):
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SessionsDialog) and dialog.parent() is window
        how(dialog)

    for how in (SessionsDialog.reject, SessionsDialog.close, SessionsDialog.accept):
        QTimer.singleShot(0, lambda how=how: close_it(how))
        window.open_sessions_dialog()  # returns when the dialog is closed
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert window.findChildren(SessionsDialog) == []


def test_an_int8_model_is_named_in_the_status_bar_and_the_session(qtbot, ui_model, demo_clip,
                                                                  store, tmp_path):
    onnx = pytest.importorskip("onnx")
    from app.core.analysis.analyzer import Analyzer
    from app.ui.main_window import MainWindow

    model = onnx.load(str(ui_model))
    for key, value in {"version": "v-1", "quantization": "int8 static QDQ"}.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(tmp_path / "m_int8.onnx"))
    win = MainWindow(Analyzer(tmp_path / "m_int8.onnx", device="cpu"), str(demo_clip),
                     store=store, patient_code="P-001")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.sessions.session_id is not None, timeout=10_000)
    win.status.tick()
    assert "m_int8.onnx, version v-1 (int8)" in win.status.provider.toolTip()
    assert store.load_session(win.sessions.session_id).meta.model_version == "v-1 (int8)"
    win.close()


def test_one_session_is_one_session(window, store, qtbot):
    """Issue 27.6: the sessions dialog said "1 sessions"."""
    from app.ui.sessions_dialog import SessionsDialog

    dialog = SessionsDialog(store, window.sessions.session_id, window)
    qtbot.addWidget(dialog)
    assert len(store.list_sessions()) == 1 and dialog.count.text() == "1 session"
    dialog.find.setText("P-001")
    assert dialog.count.text() == "1 of 1 session"
