"""The numpy buffers behind the timeline (no Qt needed)."""

from __future__ import annotations

import math

import numpy as np

from app.ui.timeline_buffer import TimelineBuffer


def test_buffer_grows_by_doubling_and_keeps_data():
    buf = TimelineBuffer(2, fps=10, capacity=16)
    for i in range(100):
        buf.add(i, i / 10, (0.25, 0.75))
    assert buf.count == 100 and buf.analysed == 100 and buf.with_face == 100
    assert len(buf._x) == 128  # 16 -> 32 -> 64 -> 128
    assert np.allclose(buf.y()[:, 1], 0.75)
    assert np.allclose(buf.x(), np.arange(100) / 10)


def test_frames_without_patient_and_unanalysed_frames_are_gaps_with_sorted_x():
    buf = TimelineBuffer(2, fps=10)
    buf.add(0, 0.0, (0.5, 0.5))
    buf.add(1, 0.1, None)
    buf.add(5, 0.5, (0.9, 0.1))  # after a seek: 2..4 never analysed
    y = buf.y()
    assert np.isnan(y[1]).all() and np.isnan(y[2:5]).all()
    assert (np.diff(buf.x()) > 0).all()
    assert (buf.analysed, buf.with_face, buf.count) == (3, 2, 6)


def test_smoothing_is_a_time_based_ema_that_restarts_after_a_gap():
    buf = TimelineBuffer(2, fps=10, tau_s=0.5)
    buf.add(0, 0.0, (1.0, 0.0))
    buf.add(1, 0.1, (0.0, 1.0))
    w = 1 - math.exp(-0.1 / 0.5)
    assert np.allclose(buf.y(smoothed=True)[1], (1 - w, w), atol=1e-6)
    assert np.allclose(buf.y()[1], (0.0, 1.0))  # raw stays raw
    buf.add(2, 0.2, None)
    buf.add(3, 0.3, (0.0, 1.0))
    assert np.allclose(buf.y(smoothed=True)[3], (0.0, 1.0))


def test_analysed_arrays_hold_only_analysed_frames():
    buf = TimelineBuffer(2, fps=25.0)
    buf.add(0, 0.0, (0.2, 0.8))
    buf.add(1, 0.04, None)
    buf.add(5, 0.2, (0.6, 0.4))
    times, probs = buf.analysed_arrays()
    assert np.allclose(times, (0.0, 0.04, 0.2)) and probs.dtype == np.float64
    assert np.isnan(probs[1]).all() and np.allclose(probs[2], (0.6, 0.4), atol=1e-6)
