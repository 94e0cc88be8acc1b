"""A face pick never loses analysed frames (issue 27.1).

Re-analysis after a pick replaces a stored frame only once it has a new result for it; where it
stops, the earlier results stay. A click on the patient's own face changes nothing, and Ctrl+Z
undoes a pick: its frames come back and its switch goes.
"""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt

from tests.core.conftest import scene, write_video


@pytest.fixture
def two_faces(tmp_path):
    """60 frames (2.4 s): a large face left (the patient by default), a smaller one right."""
    frames = [scene([(60, 60, 180), (420, 100, 130)]) for _ in range(60)]
    return write_video(tmp_path / "two.mp4", frames)


def _centre(face):
    x, y, w, h = face.box
    return x + w / 2, y + h / 2


def _open(qtbot, analyzer, clip, store, speed):
    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(clip), store=store, patient_code="P-001", speed=speed)
    win.ask_details = lambda previous, source: previous
    qtbot.addWidget(win)
    win.show()
    return win


def _stored(store, win):
    win.sessions.recording.flush()
    return store.load_session(win.sessions.session_id)


def _settled(qtbot, win, in_gui_thread):
    """Everything the worker sent before now has reached the window: it handles commands in
    order, and a seek to where it is answers with a frame, queued after all it sent before."""
    with qtbot.waitSignal(in_gui_thread(win.worker.sigFrame), timeout=5000):
        win.worker.seek(win.video.packet.time_s)


def _shown_at(qtbot, win, index):
    qtbot.waitUntil(lambda: win.video.packet is not None and win.video.packet.index == index
                    and win.video.packet.result is not None, timeout=10_000)
    return win.video.packet.result


def test_a_pick_on_a_finished_recording_loses_no_frame_and_can_be_undone(
        qtbot, analyzer, two_faces, store, tmp_path, in_gui_thread):
    win = _open(qtbot, analyzer, two_faces, store, speed=4.0)
    try:
        qtbot.waitUntil(lambda: win.finished.isVisibleTo(win), timeout=60_000)
        before = _stored(store, win).frames
        assert len(before) == 60 and all(r.patient.box[0] < 300 for r in before)
        win.seek(1.0)  # frame 25, paused
        shown = _shown_at(qtbot, win, 25)

        # the patient's own face: nothing changes, no switch is recorded
        with qtbot.waitSignal(in_gui_thread(win.worker.sigPatientSelected), timeout=5000):
            win.video.sigFrameClicked.emit(*_centre(shown.patient))
        _settled(qtbot, win, in_gui_thread)  # anything the click changed has arrived
        assert win.model.events == [] and _stored(store, win).events == []
        assert _stored(store, win).frames == before

        # another face: the switch is marked, but no stored frame is dropped
        other = next(f for f in shown.faces if not f.is_patient)
        with qtbot.waitSignal(in_gui_thread(win.worker.sigPatientSwitched), timeout=10_000):
            win.video.sigFrameClicked.emit(*_centre(other))
        qtbot.waitUntil(lambda: win.video.packet.result.patient.box[0] > 300, timeout=5000)
        now = _stored(store, win)
        assert len(now.frames) == 60 and now.frames[25].patient.box[0] > 300
        assert now.frames[26:] == before[26:]  # the rest stays until it is re-analysed
        assert win.model.buffer.analysed == 60

        # re-analyse a few frames (step forward), then leave: the re-analysis stops there
        for i in range(26, 31):
            qtbot.keyClick(win, Qt.Key.Key_Period)
            _shown_at(qtbot, win, i)
        with qtbot.waitSignal(in_gui_thread(win.worker.sigReanalysisStopped), timeout=5000):
            win.seek(0.2)
        now = _stored(store, win)
        assert len(now.frames) == 60
        assert all(r.patient.box[0] > 300 for r in now.frames[25:31])
        assert now.frames[31:] == before[31:]  # kept where the re-analysis stopped
        assert [e.detail for e in now.events] == [f"face {other.track_id}"]

        # Ctrl+Z: every frame as before the pick, and no switch left
        with qtbot.waitSignal(in_gui_thread(win.worker.sigPickUndone), timeout=5000):
            qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: win.model.events == [], timeout=5000)
        undone = _stored(store, win)
        assert undone.frames == before and undone.events == []
        assert win.timeline.event_marker_count() == 0
        assert store.list_sessions()[0].frames == 60

        # nothing left to undo: a second Ctrl+Z changes nothing
        with qtbot.waitSignal(in_gui_thread(win.worker.sigPickUndone), timeout=5000) as again:
            qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert again.args[0] == (None,)
        assert _stored(store, win).frames == before

        # a pick played through to the end: every frame from it on shows the new patient
        win.seek(1.0)
        shown = _shown_at(qtbot, win, 25)
        other = next(f for f in shown.faces if not f.is_patient)
        with qtbot.waitSignal(in_gui_thread(win.worker.sigPatientSwitched), timeout=10_000):
            win.video.sigFrameClicked.emit(*_centre(other))
        win.toggle_play()
        qtbot.waitUntil(lambda: win.finished.isVisibleTo(win)
                        and win.video.packet.index == 59, timeout=60_000)
        after = _stored(store, win).frames
        assert len(after) == 60 and after[:25] == before[:25]
        assert all(r.patient.box[0] > 300 for r in after[25:])
        out = tmp_path / "f.csv"
        with qtbot.waitSignal(win.sessions.sigExported, timeout=30_000):
            win.export_csv(out)
        assert len(list(csv.DictReader(out.open()))) == 60
    finally:
        win.close()


def test_a_pick_mid_recording_is_undone_and_analysis_follows_the_patient_again(
        qtbot, analyzer, two_faces, store, in_gui_thread):
    win = _open(qtbot, analyzer, two_faces, store, speed=1.0)
    try:
        qtbot.waitUntil(lambda: win.video.packet is not None and win.video.packet.index >= 10,
                        timeout=30_000)
        win.worker.pause()
        qtbot.waitUntil(lambda: not win.worker.playing, timeout=5000)
        at = win.video.packet.index
        shown = win.video.packet.result
        patient = shown.patient

        with qtbot.waitSignal(in_gui_thread(win.worker.sigPatientSelected), timeout=5000):
            win.video.sigFrameClicked.emit(*_centre(patient))
        _settled(qtbot, win, in_gui_thread)
        assert win.model.events == []

        other = next(f for f in shown.faces if not f.is_patient)
        with qtbot.waitSignal(in_gui_thread(win.worker.sigPatientSwitched),
                              timeout=5000) as switched:
            win.video.sigFrameClicked.emit(*_centre(other))
        assert switched.args[0][0] == at and switched.args[0][3] is False
        for i in range(at + 1, at + 4):  # analysed for the first time, with the new patient
            qtbot.keyClick(win, Qt.Key.Key_Period)
            assert _shown_at(qtbot, win, i).patient.box[0] > 300
        qtbot.waitUntil(lambda: len(_stored(store, win).events) == 1, timeout=5000)

        with qtbot.waitSignal(in_gui_thread(win.worker.sigPickUndone), timeout=5000) as undone:
            qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert len(undone.args[0][0].restored) == 4
        qtbot.waitUntil(lambda: win.video.packet.result.patient.track_id == patient.track_id,
                        timeout=5000)
        win.toggle_play()
        qtbot.waitUntil(lambda: win.finished.isVisibleTo(win), timeout=60_000)
        stored = _stored(store, win)
        assert stored.events == [] and win.model.events == []
        assert len(stored.frames) == 60
        assert all(r.patient.track_id == patient.track_id for r in stored.frames)
    finally:
        win.close()
