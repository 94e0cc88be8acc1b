"""The face mesh's second reading of a head turn (app/core/analysis/face_mesh.py) and how the
gate uses it (head_pose.py)."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.core.analysis.face_mesh import ACROSS, MESH_MODEL, FaceMesh, crop_face, mesh_yaw
from app.core.analysis.head_pose import TurnConfig, TurnGate, head_yaw
from app.core.errors import ModelError

DEMO = Path(__file__).resolve().parents[2] / "app" / "assets" / "demo.mp4"


@pytest.fixture(scope="module")
def mesh():
    from app.core.analysis.detector import models_dir

    return FaceMesh(models_dir() / MESH_MODEL, "cpu")


@pytest.fixture(scope="module")
def demo_faces():
    """Every 40th frame of the demo clip (a real face, within ~20 degrees of frontal) with
    the face BlazeFace finds in it, and the same mirrored."""
    from app.core.analysis.detector import BlazeFaceDetector, models_dir

    det = BlazeFaceDetector(models_dir(), "cpu")
    cap = cv2.VideoCapture(str(DEMO))
    out = []
    for i in range(480):
        ok, frame = cap.read()
        if not ok:
            break
        if i % 40:
            continue
        pair = []
        for img in (frame, frame[:, ::-1].copy()):
            gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            best = max(det.scan(img, gray, 40), key=lambda d: d.score)
            pair.append((img, best))
        out.append(pair)
    cap.release()
    assert len(out) >= 10
    return out


def turned_points(yaw: float) -> np.ndarray:
    """468 mesh points of a symmetric head turned by `yaw` (x right, z away from camera):
    positive, its left cheek (the image's right) moves away."""
    rng = np.random.default_rng(0)
    pts = rng.uniform(-50, 50, (468, 3))
    for a, b in ACROSS:  # the pairs the yaw is read from: mirror images across x = 0, the
        pts[a, 0] = -abs(pts[a, 0]) - 1  # person's right on the image's left
        pts[b] = pts[a] * [-1, 1, 1]
    t = math.radians(yaw)
    x = pts[:, 0] * math.cos(t) - pts[:, 2] * math.sin(t)
    z = pts[:, 0] * math.sin(t) + pts[:, 2] * math.cos(t)
    return np.stack([x, pts[:, 1], z], axis=1)


@pytest.mark.parametrize("yaw", [-80.0, -30.0, 0.0, 20.0, 60.0])
def test_mesh_yaw_is_the_turn_of_the_line_across_the_face(yaw):
    assert mesh_yaw(turned_points(yaw)) == pytest.approx(yaw, abs=1e-6)


def test_the_farther_reading_is_the_head_yaw():
    assert head_yaw(12.0, -49.0) == -49.0
    assert head_yaw(55.0, 30.0) == 55.0
    assert head_yaw(None, 20.0) == 20.0 and head_yaw(-7.0, None) == -7.0
    assert head_yaw(None, None) is None


def test_gate_turns_away_a_face_the_mesh_cannot_be_laid_on():
    gate = TurnGate(TurnConfig(presence_limit=0.5, presence_release=0.7, smooth_s=0))
    seq = [(5, 1.0), (5, 0.3), (5, 0.6), (5, 0.75), (5, None), (5, 0.45)]
    assert [gate.update(1, y, presence=p) for y, p in seq] == [False, True, True, False, False,
                                                               True]
    # averaged like the yaw: one low reading in a steady frontal face does not turn it away
    gate = TurnGate(TurnConfig(smooth_s=0.2))
    states = [gate.update(1, 3.0, i / 25, 0.0 if i == 20 else 1.0) for i in range(40)]
    assert not any(states)


def test_a_real_face_reads_frontal_present_and_mirrored_turns_the_other_way(mesh, demo_faces):
    yaws = []
    for (img, face), (mirrored, mface) in demo_faces:
        a = mesh.read(img, face.box, face.keypoints)
        b = mesh.read(mirrored, mface.box, mface.keypoints)
        assert a.presence > 0.9 and b.presence > 0.9
        assert abs(a.yaw_deg) < 25
        assert abs(a.yaw_deg + b.yaw_deg) < 6  # the demo clip: at most 2.5 degrees apart
        yaws.append(a.yaw_deg)
    assert max(yaws) - min(yaws) > 10  # the face does turn in the clip: the sign is tested


def test_yaw_stays_when_the_head_rolls_and_the_face_is_smaller(mesh, demo_faces):
    from app.core.analysis.detector import BlazeFaceDetector, models_dir

    det = BlazeFaceDetector(models_dir(), "cpu")
    for (img, face), _ in demo_faces[::3]:
        base = mesh.read(img, face.box, face.keypoints).yaw_deg
        h, w = img.shape[:2]
        for angle, scale in ((25, 1.0), (-25, 1.0), (0, 0.5)):
            m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
            moved = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
            gray = cv2.cvtColor(moved, cv2.COLOR_BGR2GRAY)
            found = max(det.scan(moved, gray, 30), key=lambda d: d.score)
            assert abs(mesh.read(moved, found.box, found.keypoints).yaw_deg - base) < 8


def test_crop_is_levelled_by_the_eye_line_and_framed_around_the_box():
    frame = np.zeros((400, 400, 3), np.uint8)
    cv2.rectangle(frame, (150, 190), (250, 210), (255, 255, 255), -1)  # a level bar
    rolled = cv2.warpAffine(frame, cv2.getRotationMatrix2D((200, 200), -30, 1.0), (400, 400))
    t = math.radians(30)
    eyes = np.array([[200 - 40 * math.cos(t), 200 - 40 * math.sin(t)],
                     [200 + 40 * math.cos(t), 200 + 40 * math.sin(t)]])
    crop = crop_face(rolled, (150, 150, 100, 100), eyes)
    assert crop.shape == (192, 192, 3)
    rows = np.flatnonzero(crop[..., 0].max(axis=1) > 128)
    assert rows.min() > 80 and rows.max() < 112  # level again, 20 px * 192/150 high
    assert crop_face(frame[..., 0], (150, 150, 100, 100), None).shape == (192, 192)


def test_not_a_face_mesh_model_is_a_clear_error(tmp_path):
    from app.core.analysis.detector import models_dir

    with pytest.raises(ModelError, match="not found"):
        FaceMesh(tmp_path / "missing.onnx", "cpu")
    with pytest.raises(ModelError, match="not a face mesh model"):
        FaceMesh(models_dir() / "blazeface_short.onnx", "cpu")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(ModelError, match="face mesh"):
        FaceMesh(bad, "cpu")
