"""Fixtures for the core tests: tiny ONNX models built with onnx.helper, the shared media."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

# ../shared beside the checkout; FER_SHARED overrides it (e.g. a git worktree elsewhere).
MEDIA = Path(os.environ.get("FER_SHARED", Path(__file__).resolve().parents[2].parent / "shared")
             ) / "media"
CLASSES = "happy,sad,surprise,neutral"


def make_model(path: Path, *, classes: str | None = CLASSES, k: int = 4, side: int = 48,
               softmax: bool = True) -> Path:
    """pixels float32 [N,side,side,1] -> Reshape -> MatMul (fixed random) -> Softmax -> [N,k]."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(42)
    w = rng.normal(0, 1e-3, (side * side, k)).astype(np.float32)
    nodes = [
        helper.make_node("Reshape", ["pixels", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["logits"]),
    ]
    nodes.append(helper.make_node("Softmax", ["logits"], ["probs"], axis=1) if softmax
                 else helper.make_node("Identity", ["logits"], ["probs"]))
    graph = helper.make_graph(
        nodes, "tiny_fer",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", side, side, 1])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", k])],
        [numpy_helper.from_array(np.array([-1, side * side], np.int64), "shape"),
         numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if classes is not None:
        helper.set_model_props(model, {"classes": classes})
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A valid model honouring the contract (random weights: labels are meaningless)."""
    return make_model(tmp_path_factory.mktemp("models") / "tiny.onnx")


@pytest.fixture(scope="session")
def analyzer_factory(tiny_model):
    from app.core.analysis.analyzer import Analyzer

    def make(**kw):
        return Analyzer(tiny_model, device="cpu", **kw)

    return make


@pytest.fixture(scope="session")
def media() -> Path:
    if not MEDIA.is_dir():
        pytest.skip(f"../shared/media not present: {MEDIA} (real-media tests need it)")
    return MEDIA


def draw_face(side: int) -> np.ndarray:
    """A drawn grayscale face (oval, brows, eyes, nose, mouth) the Haar cascade detects.

    Synthetic on purpose: tests need no real face image (none ships with the repo)."""
    img = np.full((side, side), 90, np.uint8)
    c = side // 2
    cv2.ellipse(img, (c, int(c * 1.05)), (int(side * 0.36), int(side * 0.46)), 0, 0, 360, 190, -1)
    ey, ex = int(side * 0.42), int(side * 0.16)
    for sx in (-1, 1):
        cv2.ellipse(img, (c + sx * ex, ey), (int(side * 0.08), int(side * 0.04)), 0, 0, 360, 50, -1)
        cv2.line(img, (c + sx * ex - int(side * 0.09), ey - int(side * 0.08)),
                 (c + sx * ex + int(side * 0.09), ey - int(side * 0.09)), 70, max(2, side // 40))
    cv2.line(img, (c, ey + 5), (c, int(side * 0.62)), 160, max(2, side // 50))
    mouth = (int(side * 0.12), int(side * 0.035))
    cv2.ellipse(img, (c, int(side * 0.75)), mouth, 0, 0, 360, 90, -1)
    return cv2.GaussianBlur(img, (0, 0), side / 100)


def scene(faces: list[tuple[int, int, int]], size=(640, 360)) -> np.ndarray:
    """A BGR frame with drawn faces at (x, y, side) on a plain background."""
    w, h = size
    frame = np.full((h, w), 120, np.uint8)
    for x, y, side in faces:
        frame[y:y + side, x:x + side] = draw_face(side)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def write_video(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write mp4v")
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@pytest.fixture(scope="session")
def face_clip(tmp_path_factory) -> Path:
    """45 frames: a face moving slowly right for 30 frames, then 15 empty frames."""
    frames = [scene([(150 + 3 * i, 80, 150)]) for i in range(30)] + [scene([])] * 15
    return write_video(tmp_path_factory.mktemp("clips") / "face.mp4", frames)


@pytest.fixture(scope="session")
def two_face_clip(tmp_path_factory) -> Path:
    """20 frames with a large face (left) and a small one (right)."""
    frames = [scene([(60, 60, 180), (420, 100, 110)]) for _ in range(20)]
    return write_video(tmp_path_factory.mktemp("clips") / "two.mp4", frames)


@pytest.fixture(scope="session")
def make_scene():
    """scene(faces=[(x, y, side), ...]) -> BGR frame with drawn faces."""
    return scene


@pytest.fixture(scope="session")
def make_video():
    """write_video(path, frames, fps=25.0) -> path of an mp4v clip."""
    return write_video


@pytest.fixture(scope="session")
def model_factory():
    """make_model(path, classes=..., k=4, side=48, softmax=True) -> path of a tiny ONNX model."""
    return make_model
