"""Turned-away frames in the app (issue 29): their own band on the timeline, `turned away` as the
note label, and counted apart from frames without a face."""

from __future__ import annotations

import numpy as np

from app.core.analysis.results import Face, FrameResult
from app.ui.timeline_buffer import TimelineBuffer

CLASSES = ("happy", "sad", "surprise", "neutral")
SURE = (0.9, 0.04, 0.03, 0.03)


def frames(n_happy: int, n_turned: int, fps: float = 10.0) -> list[FrameResult]:
    away = (Face((0, 0, 50, 50), 1, (), "", True, yaw_deg=75.0, turned_away=True),)
    seen = (Face((0, 0, 50, 50), 1, SURE, "happy", True, yaw_deg=5.0),)
    return [FrameResult(i, i / fps, seen, "happy", SURE) if i < n_happy
            else FrameResult(i, i / fps, away) for i in range(n_happy + n_turned)]


def test_buffer_flags_turned_frames_as_gaps_of_their_own():
    results = frames(5, 5)
    buf = TimelineBuffer.from_results(results, 4)
    assert buf.turned().tolist() == [False] * 5 + [True] * 5
    assert np.isnan(buf.y()[5:]).all() and buf.with_face == 5
    assert buf.analysed_turned().tolist() == buf.turned().tolist()
    buf.add(7, 0.7, SURE)  # re-analysed with the face read: no longer turned
    assert not buf.turned()[7]
    buf.truncate(6)
    assert buf.turned().tolist() == [False] * 5 + [True]


def test_timeline_band_and_note_label(qtbot):
    from app.ui.readers import SourceInfo
    from app.ui.session_model import SessionModel
    from app.ui.timeline import TimelineView

    model = SessionModel()
    model.reset(SourceInfo("camera 0", "camera", True, False, None, None), CLASSES)
    for r in frames(10, 15):
        model.add_result(r)
    note = model.add_note(2.4, "looks at the door")
    view = TimelineView(model)
    qtbot.addWidget(view)
    view._refresh()
    band = view.turned_band.yData
    assert band is not None and band.tolist() == [0.0] * 10 + [1.0] * 15
    assert "turned" in view.legend.text()
    [label] = model.note_labels([note])
    assert label.status == "turned_away" and label.text == "turned away"


def test_a_turned_away_patient_is_visible_in_the_status_bar(qtbot):
    """5 frames read, 5 turned away, 2 without a face: the patient was in view in 10 of 12
    frames (a clinician sees a patient looking away); the tooltip says what was read."""
    from PySide6.QtWidgets import QStatusBar

    from app.core.analysis.results import FrameResult
    from app.ui.readers import SourceInfo
    from app.ui.session_model import SessionModel
    from app.ui.status_panel import StatusPanel

    model = SessionModel()
    model.reset(SourceInfo("camera 0", "camera", True, False, None, None), CLASSES)
    for r in frames(5, 5) + [FrameResult(10, 1.0), FrameResult(11, 1.1)]:
        model.add_result(r)
    bar = QStatusBar()
    qtbot.addWidget(bar)
    panel = StatusPanel(bar, model)
    panel.tick()
    assert model.buffer.turned_count == 5 and model.buffer.with_face == 5
    assert panel.faces.text() == "patient visible: 83%"
    assert "emotion read in 42%, turned away (not read) in 42%" in panel.faces.toolTip()


def test_buffer_counts_follow_a_frame_analysed_again():
    buf = TimelineBuffer.from_results(frames(5, 5), 4)
    buf.add(2, 0.2, None, True)  # read before, turned away now
    assert (buf.with_face, buf.turned_count, buf.analysed) == (4, 6, 10)
    buf.add(2, 0.2, SURE)
    assert (buf.with_face, buf.turned_count) == (5, 5)
    buf.truncate(8)
    assert (buf.with_face, buf.turned_count, buf.analysed) == (5, 3, 8)
