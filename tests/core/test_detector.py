"""The face detectors: BlazeFace decoding, the stock media, held boxes, aligned crops."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.core.analysis import blazeface as bf
from app.core.analysis.detector import DETECTORS, make_detector, models_dir
from app.core.analysis.pipeline import analyze_source
from app.core.analysis.preprocess import aligned_crop, aligned_frame, face_batch
from app.core.analysis.results import Face, FrameResult
from app.core.errors import CoreError


def test_anchor_grids_match_the_models():
    assert bf.anchors(bf.SHORT).shape == (896, 2)
    assert bf.anchors(bf.FULL).shape == (2304, 2)
    a = bf.anchors(bf.FULL)
    assert np.allclose(a[0], [0.5 / 48, 0.5 / 48]) and np.allclose(a[1], [1.5 / 48, 0.5 / 48])


def test_decode_and_weighted_nms():
    spec = bf.SHORT
    anchor = bf.anchors(spec)
    raw = np.zeros((1, len(anchor), 16), np.float32)
    logits = np.full((1, len(anchor), 1), -10.0, np.float32)
    # two overlapping candidates for one face centred on anchor 100, one weak one elsewhere
    for i, (dx, score) in ((100, (0.0, 4.0)), (101, (2.0, 2.0)), (600, (0.0, -0.5))):
        raw[0, i, :4] = [dx, 0, 32, 32]
        logits[0, i, 0] = score
    boxes, kps, scores = bf.decode(raw, logits, anchor, spec.side, 0.5)
    assert len(scores) == 2  # the weak one (sigmoid 0.38) is dropped
    (box, _, score), = bf.weighted_nms(boxes, kps, scores)
    assert score == pytest.approx(1 / (1 + np.exp(-4.0)))
    cx = (box[0] + box[2]) / 2
    assert anchor[100][0] < cx < anchor[100][0] + 2 / spec.side  # pulled a little towards #101
    assert box[2] - box[0] == pytest.approx(32 / spec.side)


def test_unknown_missing_and_corrupt_detector_models_are_one_line_errors(tmp_path):
    with pytest.raises(CoreError, match="unknown face detector"):
        make_detector("yolo")
    with pytest.raises(CoreError, match="face detector model not found") as err:
        make_detector("blazeface", "cpu", tmp_path)
    assert "\n" not in str(err.value)
    (tmp_path / bf.FULL_MODEL).write_bytes(b"not an onnx file")
    (tmp_path / bf.SHORT_MODEL).write_bytes(b"not an onnx file")
    with pytest.raises(CoreError, match="face detector: .*not a loadable ONNX model") as err:
        make_detector("combined", "cpu", tmp_path)
    assert "\n" not in str(err.value)


def test_cli_with_a_broken_detector_model_exits_with_one_line(tmp_path, monkeypatch, capsys,
                                                              face_clip, tiny_model):
    import app.core.analysis.detector as detector
    from app.core.cli import main

    (tmp_path / bf.FULL_MODEL).write_bytes(b"\x00" * 64)
    monkeypatch.setattr(detector, "models_dir", lambda: tmp_path)
    rc = main([str(face_clip), "--csv", str(tmp_path / "o.csv"), "--model", str(tiny_model)])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and "face detector" in err
    assert "Traceback" not in err


def _rotated(img: np.ndarray, deg: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def _levelled_vs_naive(frame: np.ndarray, deg: float) -> tuple[float, float, float]:
    """(roll BlazeFace measures on the frame turned by `deg`, correlation of the levelled crop
    with the upright one, same for the plain box crop)."""
    det = make_detector("blazeface", "cpu")
    crops, rolls = [], []
    for img in (frame, _rotated(frame, deg)):
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        (d,) = det.scan(img, gray, 40)
        rolls.append(np.degrees(aligned_frame(d.box, d.keypoints)[3]))
        crops.append(face_batch(gray, [d.box], keypoints=[d.keypoints])[0, :, :, 0])
    naive = face_batch(gray, [d.box])[0, :, :, 0]

    def corr(a, b):
        return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    return rolls[1] - rolls[0], corr(crops[0], crops[1]), corr(crops[0], naive)


def test_crop_of_a_rolled_drawn_face_is_levelled(make_scene):
    roll, levelled, naive = _levelled_vs_naive(make_scene([(245, 60, 150)]), 25)
    assert abs(roll + 25) < 6  # OpenCV's +25 turns the face anticlockwise: eyes at -25 deg
    assert levelled > 0.8 and levelled > naive + 0.05


@pytest.mark.shared
@pytest.mark.parametrize("deg", [25, -25])
def test_crop_of_a_rolled_real_face_is_levelled(media, deg):
    cap = cv2.VideoCapture(str(media / "WolfgangLanger_Pexels.mp4"))
    ok, frame = cap.read()
    cap.release()
    assert ok
    roll, levelled, naive = _levelled_vs_naive(frame, deg)
    assert abs(roll + deg) < 7
    assert levelled > 0.75 and levelled > naive + 0.3  # measured 0.87/0.80 vs 0.35/0.37


def test_aligned_crop_geometry():
    img = np.zeros((200, 200), np.uint8)
    img[90:110, 60:140] = 255  # a horizontal bar
    rolled = _rotated(img, 30)
    levelled = aligned_crop(rolled, 100, 100, 120, np.radians(-30), out=48)
    rows = levelled.astype(float).sum(axis=1)
    centre = (rows * np.arange(48)).sum() / rows.sum()
    assert abs(centre - 23.5) < 1.0 and levelled[:, 24].max() > 200
    assert levelled[10, :].max() < 60  # the bar is level again: nothing above it


def test_held_boxes_are_never_classified(analyzer_factory, face_clip, tmp_path):
    from app.core.report.frames_csv import FramesCsvWriter, read_frames_csv

    an = analyzer_factory()
    results = list(analyze_source(face_clip, an))
    held = [(r, f) for r in results for f in r.faces if not f.detected]
    assert held, "the face leaving at frame 30 is held for hold_s"
    for r, f in held:
        assert f.probs == () and f.label == ""
        if f.is_patient:
            assert r.label is None and r.probs is None
    assert all(f.probs for r in results for f in r.faces if f.detected)
    out = tmp_path / "f.csv"
    with FramesCsvWriter(out, an.classes) as w:
        w.write_all(results)
    rows = read_frames_csv(out).rows
    for r, row in zip(results, rows, strict=True):
        assert row.faces == r.n_detected and (row.label is None) == (r.label is None)
    assert all(row.faces == 0 and row.label is None for row in rows[30:])


def test_held_faces_round_trip_through_the_session_store(tmp_path):
    from app.core.session.store import SessionMeta, SessionStore

    classes = ("happy", "sad", "surprise", "neutral")
    frames = [
        FrameResult(0, 0.0, (Face((1, 2, 30, 30), 1, (0.7, 0.1, 0.1, 0.1), "happy", True),),
                    "happy", (0.7, 0.1, 0.1, 0.1)),
        FrameResult(1, 0.04, (Face((1, 2, 30, 30), 1, (), "", True, detected=False),)),
    ]
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session(SessionMeta("P-1", classes))
        store.add_frames(sid, frames)
        assert store.load_session(sid).frames == frames


@pytest.mark.parametrize("name", DETECTORS)
def test_every_detector_finds_the_drawn_face(name, make_scene):
    det = make_detector(name, "cpu")
    frame = make_scene([(245, 60, 150)])
    found = det.scan(frame, cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), 40)
    assert len(found) == 1
    x, y, w, h = found[0].box
    assert abs(x + w / 2 - 320) < 25 and abs(y + h / 2 - 135) < 30
    assert (found[0].keypoints is None) == (name == "haar")


def test_detector_models_ship_beside_the_classifier():
    from app.core.analysis.face_mesh import MESH_MODEL

    for name in (bf.SHORT_MODEL, bf.FULL_MODEL, MESH_MODEL, "MEDIAPIPE_PROVENANCE.md",
                 "MEDIAPIPE_LICENSE.txt"):
        assert (models_dir() / name).is_file(), name
