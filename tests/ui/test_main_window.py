"""The window on the demo clip: timeline, notes, seeking, threads, shutdown."""

from __future__ import annotations

import threading

from PySide6.QtCore import QPointF, Qt


def test_opens_on_demo_clip_and_timeline_fills(window, qtbot):
    assert window.model.info.name == "demo.mp4"
    assert window.model.classes == ("happy", "sad", "surprise", "neutral")
    qtbot.waitUntil(lambda: window.timeline.curve_length() >= 12, timeout=10_000)
    curves = window.timeline._curves
    assert [c.name() for c in curves] == list(window.model.classes)
    y = curves[0].yData
    assert (y == y).any()  # frames with the patient's probabilities, not only gaps
    window.status.tick()
    assert "CPU" in window.status.provider.text()
    assert "frames analysed" in window.status.analysed.text()


def test_note_hotkey_adds_note_to_list_and_timeline(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.notes.count() == 1
    assert window.timeline.note_marker_count() == 1
    assert window.focusWidget() is window.notes.text
    qtbot.keyClicks(window.notes.text, "looks tearful")
    window.notes.perceived.set_value("sad")
    qtbot.keyClick(window.notes.text, Qt.Key.Key_Return)
    note = window.model.notes[0]
    assert (note.text, note.perceived) == ("looks tearful", "sad")
    assert note.time_s <= window.model.position
    assert "looks tearful" in window.notes.list.item(0).text()


def test_plain_n_key_also_drops_a_note(window, qtbot):
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_N)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.notes.count() == 1


def test_notes_can_be_edited_and_deleted(window, qtbot):
    note = window.notes.begin_note(1.0)
    window.model.update_note(note.id, text="smiles")
    assert "smiles" in window.notes.list.item(0).text()
    window.notes.confirm_delete = lambda n: True
    window.notes.delete_selected()
    assert window.notes.count() == 0
    assert window.timeline.note_marker_count() == 0


def test_click_on_timeline_seeks(window, qtbot):
    window.worker.pause()
    qtbot.waitUntil(lambda: not window.worker.playing)
    vb = window.timeline.plot.getPlotItem().getViewBox()
    window.timeline.window_box.setCurrentIndex(3)  # whole session: 0 .. 19.7 s visible
    window.timeline._follow_again()
    scene = vb.mapViewToScene(QPointF(12.0, 0.5))
    viewport_pos = window.timeline.plot.mapFromScene(scene)
    qtbot.mouseClick(window.timeline.plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=viewport_pos)
    qtbot.waitUntil(lambda: abs(window.model.position - 12.0) < 0.1, timeout=5000)
    assert abs(window.timeline.playhead.value() - 12.0) < 0.1
    # one pixel of a window fitted to a small screen is more than one frame
    assert abs(window.video.packet.index - round(12.0 * window.model.info.fps)) <= 1


def test_seek_back_reuses_cached_results(window, qtbot, in_gui_thread):
    qtbot.waitUntil(lambda: window.worker.analysed_count >= 30, timeout=10_000)
    window.worker.pause()
    qtbot.waitUntil(lambda: not window.worker.playing)
    analysed = window.worker.analysed_count
    with qtbot.waitSignal(in_gui_thread(window.worker.sigFrame), timeout=5000) as frame:
        window.seek(0.2)
    (packet,) = frame.args[0]
    assert packet.result is not None and not packet.fresh  # shown from the cache
    assert window.worker.analysed_count == analysed


def test_analysis_runs_off_the_gui_thread(window, qtbot):
    qtbot.waitUntil(lambda: window.worker.analysed_count > 0, timeout=10_000)
    assert window.worker.analysis_threads
    assert threading.get_ident() not in window.worker.analysis_threads
    assert window.worker_thread.isRunning()


def test_closing_the_window_stops_the_worker(window, qtbot):
    thread = window.worker_thread
    assert thread.isRunning()
    window.close()
    assert thread.isFinished()
    assert not thread.isRunning()


def test_click_on_a_face_selects_the_patient(window, qtbot, in_gui_thread):
    def has_face():
        p = window.video.packet
        return bool(p is not None and p.result is not None and p.result.faces)

    qtbot.waitUntil(has_face, timeout=10_000)
    window.worker.pause()
    face = window.video.packet.result.faces[0]
    x, y, w, h = face.box
    pos = window.video.frame_to_widget(x + w / 2, y + h / 2).toPoint()
    with qtbot.waitSignal(in_gui_thread(window.worker.sigPatientSelected),
                          timeout=5000) as picked:
        qtbot.mouseClick(window.video, Qt.MouseButton.LeftButton, pos=pos)
    assert picked.args[0] == (face.track_id,)


def test_space_pauses_and_smoothing_toggles(window, qtbot):
    qtbot.waitUntil(lambda: window.worker.playing)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.worker.playing, timeout=5000)
    assert not window.timeline.smoothed
    qtbot.keyClick(window, Qt.Key.Key_S)
    assert window.timeline.smoothed


def test_arrow_and_frame_step_keys(window, qtbot):
    window.worker.pause()
    qtbot.waitUntil(lambda: not window.worker.playing)
    window.seek(10.0)
    qtbot.waitUntil(lambda: abs(window.model.position - 10.0) < 0.05, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: abs(window.model.position - 5.0) < 0.05, timeout=5000)
    index = window.video.packet.index
    qtbot.keyClick(window, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: window.video.packet.index == index + 1, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Comma)
    qtbot.waitUntil(lambda: window.video.packet.index == index, timeout=5000)


def test_paused_seek_past_the_analysed_range_shows_the_frame_unanalysed(window, qtbot,
                                                                         in_gui_thread):
    window.worker.pause()
    qtbot.waitUntil(lambda: not window.worker.playing)
    assert window.model.position < 10
    frames = in_gui_thread(window.worker.sigFrame)
    with qtbot.waitSignal(frames, timeout=5000) as shown:
        window.seek(15.0)
    (still,) = shown.args[0]
    assert still.result is None  # displayed, not analysed out of context
    with qtbot.waitSignal(frames, timeout=5000) as played:
        window.toggle_play()
    (first,) = played.args[0]
    assert first.index == still.index and first.fresh


def test_long_status_messages_are_shortened_in_the_middle_with_the_whole_in_a_tooltip(window):
    """Issue 27.6: "Exported /tmp/…/p2_fi…" and "Home goe" lost their ends."""
    bar = window.statusBar()
    long = ("Exported /tmp/pytest-of-user/pytest-12/test_export0/some/deeper/folder/"
            "P-001_2026-12-03_frames.csv, /tmp/pytest-of-user/pytest-12/test_export0/some/"
            "deeper/folder/P-001_2026-12-03_notes.csv")
    bar.showMessage(long, 8000)
    assert bar.toolTip() == long  # the whole text, on demand
    shown = bar.shown_message()
    assert shown != long and "…" in shown
    assert shown.startswith("Exported ") and shown.endswith("_notes.csv")  # both ends kept
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_rect().width()
    assert not window.status.source.isVisible()  # details step aside while it shows
    bar.clearMessage()
    assert bar.toolTip() == "" and window.status.source.isVisible()
