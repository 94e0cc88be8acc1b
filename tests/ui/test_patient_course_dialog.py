"""File > Patient… and the Sessions dialog's *Patient course…* show the hand-built course."""

from __future__ import annotations

from app.core.session.store import SessionStore
from app.ui.patient_course_dialog import PatientCourseDialog
from app.ui.sessions_dialog import SessionsDialog
from tests.core.test_patient_course import three_sessions


def test_dialog_shows_the_course_and_exports(qtbot, tmp_path):
    store = SessionStore(tmp_path / "data")
    three_sessions(store)
    dialog = PatientCourseDialog(store, "P-017", below=0.5)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.course is not None and dialog.course.patient_code == "P-017",
                    timeout=10_000)
    assert dialog.codes.count() == 2 and dialog.codes.currentData() == "P-017"
    assert dialog.table.rowCount() == 3
    head = [dialog.table.horizontalHeaderItem(c).text() for c in range(dialog.table.columnCount())]
    row0 = {h: dialog.table.item(0, c).text() for c, h in enumerate(head)}
    assert row0["happy"] == "50 %" and row0["uncertain"] == "12 %"  # 12.5 rounds to even
    assert row0["Kappa (n)"] == "1.00 (2)" and "other model" in row0["Marks"]
    assert "baseline" in dialog.table.item(1, head.index("Marks")).text()
    away = head.index("Looking away")  # episodes · their time (the longest), as the PDF
    assert [dialog.table.item(r, away).text() for r in range(3)] == [
        "2 · 00:05 (00:03)", "1 · 00:02 (00:02)", "0"]
    assert row0["No face"] == "00:03"  # turned-away frames are looking away, not no face
    assert not dialog.figure.pixmap().isNull()
    dialog.export("pdf", tmp_path / "c.pdf")
    dialog.export("csv", tmp_path / "c.csv")
    qtbot.waitUntil(lambda: (tmp_path / "c.pdf").exists() and (tmp_path / "c.csv").exists(),
                    timeout=10_000)
    dialog.close()
    store.close()


def test_sessions_dialog_opens_the_course_of_the_selected_patient(qtbot, tmp_path):
    store = SessionStore(tmp_path / "data")
    three_sessions(store)
    dialog = SessionsDialog(store)
    qtbot.addWidget(dialog)
    dialog.find.setText("P-099")
    with qtbot.waitSignal(dialog.sigPatientCourse, timeout=2000) as seen:
        dialog.course_of_selected()
    assert seen.args == ["P-099"]
    store.close()


def test_window_menu_opens_the_course(window, qtbot):
    dialog = window.open_patient_course("P-017")
    assert isinstance(dialog, PatientCourseDialog) and dialog.parent() is window
    assert "Patient…" in window.actions_by_text
    dialog.close()
