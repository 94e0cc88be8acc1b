"""How far a head is turned, from BlazeFace's keypoints."""

import math

import numpy as np
import pytest

from app.core.analysis.preprocess import nose_offset


def _kps(nose_x, roll_deg=0.0, eye=40.0):
    # right eye, left eye, nose, mouth, right ear, left ear (BlazeFace order), eyes level
    pts = np.array([[-eye / 2, 0], [eye / 2, 0], [nose_x * eye, 15], [0, 30], [-40, 5], [40, 5]])
    r = math.radians(roll_deg)
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    return pts @ rot.T + [100, 80]


@pytest.mark.parametrize("roll", [0.0, 25.0, -40.0])
def test_nose_offset_is_in_eye_distances_whatever_the_roll_and_size(roll):
    assert nose_offset(_kps(0.0, roll)) == pytest.approx(0.0, abs=1e-9)
    assert nose_offset(_kps(0.3, roll)) == pytest.approx(0.3)
    assert nose_offset(_kps(-0.45, roll, eye=12.0)) == pytest.approx(-0.45)


def test_no_eye_distance_is_nan():
    kps = _kps(0.2)
    kps[1] = kps[0]
    assert math.isnan(nose_offset(kps))
