"""The timeline widget: curves created once, cheap redraws of long sessions, seeking by click."""

from __future__ import annotations

import numpy as np


def long_live_session(n: int):
    from app.ui.readers import SourceInfo
    from app.ui.session_model import SessionModel

    model = SessionModel()
    model.reset(SourceInfo("camera 0", "camera", True, False, None, None),
                ("happy", "sad", "surprise", "neutral"))
    probs = np.random.default_rng(0).dirichlet((1, 1, 1, 1), size=n)
    for i in range(n):
        model.buffer.add(i, i / 30, None if i % 50 == 0 else tuple(probs[i]))
    return model


def test_long_sessions_draw_few_points_with_clipping_and_peak_downsampling(qtbot):
    # How fast that is, is measured by benchmarks/bench_timeline.py, not asserted here.
    from app.ui.timeline import TimelineView

    model = long_live_session(30_000)  # 17 min at 30 frames/s, random: a worst case to draw
    view = TimelineView(model)
    qtbot.addWidget(view)
    view.resize(1300, 300)
    view.show()
    curves = list(view._curves)
    for window, most in ((1, 5000), (3, 20_000)):  # last 2 min: clipped; whole: downsampled
        view.window_box.setCurrentIndex(window)
        view._follow_again()
        model.set_position(model.buffer.last_time())
        model.buffer.version += 1
        view._refresh()
        view.plot.viewport().repaint()
        shown = len(view._curves[0].curve.xData)
        assert shown < most, "clip-to-view / peak downsampling not in effect"
    assert view._curves == curves  # created once


def test_smoothed_view_switches_curves_to_the_ema(qtbot):
    from app.ui.timeline import TimelineView

    model = long_live_session(100)
    view = TimelineView(model)
    qtbot.addWidget(view)
    raw = view._curves[0].yData.copy()
    view.set_smoothed(True)
    smooth = view._curves[0].yData
    assert np.isnan(raw).sum() == np.isnan(smooth).sum()  # same gaps
    assert np.nanstd(smooth) < np.nanstd(raw)
