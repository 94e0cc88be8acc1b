"""Report figures: time in each emotion, dominant stretches, metrics.json, face blur."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.analysis.results import FrameResult
from app.core.report.blur import blur_faces
from app.core.report.data import emotion_summary, face_fraction, fmt_time, load_metrics

CLASSES = ("happy", "sad", "surprise", "neutral")
P = (0.25, 0.25, 0.25, 0.25)


def test_shares_and_stretches():
    # 10 fps: happy 0-9.9 s, sad 10-14.9, no face 15-16.9, happy 17-19.9
    labels = ["happy"] * 100 + ["sad"] * 50 + [None] * 20 + ["happy"] * 30
    frames = [FrameResult(i, i / 10, (), lab, P if lab else None) for i, lab in enumerate(labels)]
    assert face_fraction(frames) == pytest.approx(180 / 200)
    happy, sad, surprise, neutral = emotion_summary(frames, CLASSES)
    assert happy.share == pytest.approx(130 / 180) and sad.share == pytest.approx(50 / 180)
    assert surprise.share == 0 and neutral.frames == 0
    assert happy.stretches == ((0.0, 10.0), (17.0, pytest.approx(19.9)))
    assert sad.stretches == ((10.0, 15.0),)
    assert surprise.stretches == ()
    assert [e.share for e in emotion_summary([], CLASSES)] == [None] * 4


def test_fmt_time():
    # a clock: cut, not rounded, so the app and the report agree (3.95 s is 00:03.9 in both)
    assert [fmt_time(s) for s in (0, 59.6, 75.4, 3725)] == ["00:00", "00:59", "01:15", "1:02:05"]
    assert [fmt_time(s, tenths=True) for s in (3.95, 2.3, 0.05)] == ["00:03.9", "00:02.3",
                                                                     "00:00.0"]


def test_load_metrics(tmp_path):
    model = tmp_path / "fer_cnn.onnx"
    assert load_metrics(model) is None and load_metrics(None) is None
    good = {"model_file": "fer_cnn.onnx",
            "test": {"accuracy": 0.8, "per_class": {"happy": {"recall": 0.9}}}}
    (tmp_path / "metrics.json").write_text(json.dumps(good))
    assert load_metrics(model) == good
    assert load_metrics(tmp_path / "other.onnx") is None  # another model's figures
    # The int8 model fer-train wrote beside it (the app's default) reads the same file.
    int8 = {"file": "fer_cnn_int8.onnx", "float_accuracy": 0.8, "int8_accuracy": 0.79,
            "agreement": 0.99}
    (tmp_path / "metrics.json").write_text(json.dumps({**good, "int8": int8}))
    assert load_metrics(tmp_path / "fer_cnn_int8.onnx") == {**good, "int8": int8,
                                                           "int8_file": "fer_cnn_int8.onnx"}
    assert "int8_file" not in load_metrics(model)
    assert load_metrics(tmp_path / "other_int8.onnx") is None
    (tmp_path / "metrics.json").write_text(json.dumps({**good, "int8": {"file": "x"}}))
    assert load_metrics(tmp_path / "x") is None  # an int8 entry without its figures
    (tmp_path / "metrics.json").write_text("{not json")
    assert load_metrics(model) is None
    (tmp_path / "metrics.json").write_text(json.dumps({"test": {}}))
    assert load_metrics(model) is None


def test_blur_hides_faces_and_nothing_else():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    out = blur_faces(image, [(40, 30, 40, 40), (140, 100, 40, 40)])  # second one past the edge
    assert out.shape == image.shape and out.dtype == image.dtype
    assert not np.shares_memory(out, image)
    inner = (slice(36, 74), slice(46, 74))
    assert out[inner].std() < 0.25 * image[inner].std()  # the detail is gone
    assert np.abs(out[inner].astype(int) - image[inner]).mean() > 20
    assert np.array_equal(out[:, :30], image[:, :30])  # outside the (widened) boxes: untouched
    assert out[105:, 145:].std() < 0.25 * image[105:, 145:].std()
    gray = blur_faces(image[:, :, 0], [(40, 30, 40, 40)])
    assert gray.shape == (120, 160)
    assert np.array_equal(blur_faces(image, []), image)


def test_source_label_hides_credentials_and_folders():
    from app.core.analysis.sources import source_label

    assert source_label("rtsp://user:secret@cam.local/live") == "rtsp://cam.local/live"
    assert source_label("/home/dr/Patients/Jane Doe/session.mp4") == "session.mp4"
    assert source_label("0") == "0"
