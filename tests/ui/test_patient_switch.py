"""Correcting the patient in a recording: a click re-analyses from there (replacing each stored
frame as its new result comes); the switch is marked."""

from __future__ import annotations

import pytest

from tests.core.conftest import scene, write_video


@pytest.fixture
def two_faces(tmp_path):
    """60 frames (2.4 s): a large face left, a smaller one right."""
    frames = [scene([(60, 60, 180), (420, 100, 130)]) for _ in range(60)]
    return write_video(tmp_path / "two.mp4", frames)


def test_clicking_another_face_in_an_analysed_stretch_reanalyses_from_there(
        qtbot, analyzer, two_faces, store, tmp_path, in_gui_thread):
    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(two_faces), store=store, patient_code="P-001", speed=4.0)
    win.ask_details = lambda previous, source: previous
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.finished.isVisibleTo(win), timeout=60_000)
        sid = win.sessions.session_id
        before = store.load_session(sid).frames
        assert len(before) == 60
        patient = before[40].patient
        other = next(f for f in before[40].faces if not f.is_patient)
        win.seek(1.0)  # back into the analysed stretch (frame 25)
        qtbot.waitUntil(lambda: win.video.packet is not None and win.video.packet.index == 25,
                        timeout=5000)
        x, y, w, h = other.box
        with qtbot.waitSignal(in_gui_thread(win.worker.sigPatientSwitched),
                              timeout=10_000) as switched:
            win.video.sigFrameClicked.emit(x + w / 2, y + h / 2)
        index, time_s, track, reanalysed = switched.args[0]
        assert index == 25 and reanalysed
        qtbot.waitUntil(lambda: win.video.packet.result.patient is not None
                        and win.video.packet.result.patient.box[0] > 300, timeout=5000)
        assert win.timeline.event_marker_count() == 1
        qtbot.waitUntil(lambda: store.load_session(sid).frames[25].patient.box[0] > 300,
                        timeout=5000)  # the new patient from the click on
        stored = store.load_session(sid)
        assert [(e.kind, round(e.time_s, 2)) for e in stored.events] == [("patient",
                                                                          round(time_s, 2))]
        assert stored.frames[26:] == before[26:]  # the rest stays until it is analysed again
        assert stored.frames[10].patient.box[0] < 300 > patient.box[0]  # before it: unchanged
        win.toggle_play()  # the rest of the timeline follows with the new patient
        qtbot.waitUntil(lambda: win.video.packet.index == 59
                        and store.load_session(sid).frames[-1].patient.box[0] > 300,
                        timeout=60_000)
        after = store.load_session(sid).frames
        assert len(after) == 60 and all(r.patient.box[0] > 300 for r in after[25:])
        pdf = tmp_path / "r.pdf"
        with qtbot.waitSignal(win.sessions.sigExported, timeout=60_000):
            win.export_pdf(pdf)
        import shutil
        import subprocess
        if shutil.which("pdftotext"):
            text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                           text=True, check=True).stdout.split())
            assert "made another face the patient, at 00:01.0" in text
    finally:
        win.close()
