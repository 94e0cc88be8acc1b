"""The end of a recording is a state: "Finished — export?", saved (not "Saving"), no restart."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_end_of_recording_is_finished_and_space_does_not_restart(qtbot, analyzer, demo_clip,
                                                                  store):
    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(demo_clip), store=store, patient_code="P-001", speed=16.0)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.finished.isVisibleTo(win), timeout=90_000)
        assert "Finished" in win.finished.label.text() and win.finished.pdf_button.isVisibleTo(win)
        assert "Finished" in win.status.saving.text() and "Saving" not in win.status.saving.text()
        last = win.model.position
        saved = store.list_sessions()[0].frames
        assert saved == win.model.buffer.analysed  # flushed: "saved" is true
        win.setFocus()
        qtbot.keyClick(win, Qt.Key.Key_Space)
        qtbot.wait(500)
        assert win.model.position == last and not win.worker.playing  # not back at 0
        assert win.finished.isVisibleTo(win)
        win.seek(0.0)  # Home: an explicit way back
        qtbot.waitUntil(lambda: win.model.position < 1.0, timeout=5000)
    finally:
        win.close()
