"""Time-based probability smoothing."""

import numpy as np
import pytest

from app.core.analysis.smoothing import ProbabilitySmoother

A, B = np.array([1.0, 0.0]), np.array([0.0, 1.0])


def test_off_passes_through():
    s = ProbabilitySmoother(0)
    assert s.update(1, 0.0, A) is A and s.update(1, 0.1, B) is B


def test_depends_on_time_not_frame_count():
    fast, slow = ProbabilitySmoother(0.5), ProbabilitySmoother(0.5)
    fast.update(1, 0.0, A)
    slow.update(1, 0.0, A)
    for k in range(1, 7):  # 60 frames/s for 0.1 s
        f = fast.update(1, k / 60, B)
    s = slow.update(1, 0.1, B)  # 10 frames/s
    assert np.allclose(f, s)
    assert np.isclose(s[1], 1 - np.exp(-0.1 / 0.5))


def test_per_track_and_forgetting():
    s = ProbabilitySmoother(1.0)
    s.update(1, 0.0, A)
    assert np.allclose(s.update(2, 0.0, B), B)  # another track starts fresh
    s.keep_only({2})
    assert np.allclose(s.update(1, 0.5, B), B)
    with pytest.raises(ValueError):
        ProbabilitySmoother(-1)
