"""BlazeFace (MediaPipe's face detector) run with ONNX Runtime: anchors, decoding and NMS.

The ONNX files in models/ are MediaPipe's .tflite models converted once by
scripts/convert_mediapipe.py (Apache-2.0, see models/MEDIAPIPE_PROVENANCE.md). Each takes one
RGB square, float32 NHWC in [-1, 1], and gives per anchor 16 regressors (box centre, size and
six keypoints, in input pixels relative to the anchor) and one raw score. Decoding follows
MediaPipe's TensorsToDetections calculator (fixed-size anchors, sigmoid, weighted NMS).

Two models, two jobs:
- full-range (192 px, faces down to ~1/20 of the input, 5 m away): the whole-frame `scan`;
- short-range (128 px, faces filling a good part of the input): `search`, a crop around a
  face seen a moment ago, where the face is large by construction. About 1 ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import ModelError

SHORT_MODEL = "blazeface_short.onnx"
FULL_MODEL = "blazeface_full.onnx"
RAW_SCORE_LIMIT = 80.0  # MediaPipe clips at 100; 80 keeps exp() finite in float32
NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold
# Keypoint order of the model (the person's right eye appears on the image's left).
RIGHT_EYE, LEFT_EYE, NOSE, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)


@dataclass(frozen=True)
class SsdSpec:
    """MediaPipe's SSD anchor options for one model (face_detection_*_common.pbtxt)."""

    side: int  # input is side x side
    strides: tuple[int, ...]
    two_per_cell: bool  # interpolated_scale_aspect_ratio == 1: two anchors per cell


SHORT = SsdSpec(128, (8, 16, 16, 16), True)
FULL = SsdSpec(192, (4,), False)


def anchors(spec: SsdSpec) -> np.ndarray:
    """Anchor centres [A, 2] in 0-1 input units, in the model's output order."""
    out = []
    i = 0
    while i < len(spec.strides):
        j, repeats = i, 0
        while j < len(spec.strides) and spec.strides[j] == spec.strides[i]:
            j += 1
            repeats += 2 if spec.two_per_cell else 1
        n = spec.side // spec.strides[i]
        cy, cx = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
        cells = np.stack([cx.ravel(), cy.ravel()], axis=1)
        out.append(np.repeat(cells, repeats, axis=0))
        i = j
    return np.concatenate(out).astype(np.float32)


def decode(raw: np.ndarray, logits: np.ndarray, anchor: np.ndarray, side: int,
           min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw outputs -> (boxes [N, 4] as x0, y0, x1, y1, keypoints [N, 6, 2], scores [N]) in 0-1
    input units, for the anchors scoring at least `min_score`."""
    logits = np.clip(logits.reshape(-1), -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    reg = raw.reshape(-1, 8, 2)[keep] / side
    centre = reg[:, 0] + anchor[keep]
    half = reg[:, 1] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    kps = reg[:, 2:] + anchor[keep][:, None, :]
    valid = np.all(half > 0, axis=1)
    return boxes[valid], kps[valid], scores[keep][valid]


def _iou_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    lo = np.maximum(box[:2], boxes[:, :2])
    hi = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / np.maximum(area + areas - inter, 1e-12)


def weighted_nms(boxes: np.ndarray, kps: np.ndarray, scores: np.ndarray,
                 iou: float = NMS_IOU) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's weighted NMS: each cluster of overlapping candidates becomes one detection,
    its box and keypoints the score-weighted mean of the cluster, its score the best one."""
    order = np.argsort(-scores)
    boxes, kps, scores = boxes[order], kps[order], scores[order]
    alive = np.ones(len(scores), bool)
    out = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        group = np.flatnonzero(alive & (_iou_many(boxes[i], boxes) > iou))
        group = group if len(group) else np.array([i])
        alive[group] = False
        w = scores[group][:, None]
        out.append(((boxes[group] * w).sum(0) / w.sum(),
                    (kps[group] * w[:, :, None]).sum(0) / w.sum(), float(scores[i])))
    return out


def to_input(square_bgr: np.ndarray) -> np.ndarray:
    """A BGR (or gray) uint8 square already at the model's side -> [1, S, S, 3] in [-1, 1]."""
    if square_bgr.ndim == 2:
        rgb = cv2.cvtColor(square_bgr, cv2.COLOR_GRAY2RGB)
    else:
        rgb = cv2.cvtColor(square_bgr, cv2.COLOR_BGR2RGB)
    return (rgb.astype(np.float32) * (1 / 127.5) - 1.0)[None]


class BlazeFaceModel:
    """One BlazeFace ONNX model; `run` maps a square input to detections in 0-1 units."""

    def __init__(self, path: Path, spec: SsdSpec, device: str = "auto", threads: int = 1):
        # Imported here: onnxruntime loads only when a detector is built, not at import.
        from app.core.analysis.providers import open_model

        self._session, self.provider = open_model(path, "face detector", device, threads)
        self.spec = spec
        self._anchors = anchors(spec)
        inp = self._session.get_inputs()
        outs = self._session.get_outputs()
        want = [1, spec.side, spec.side, 3]
        if len(inp) != 1 or list(inp[0].shape) != want or len(outs) != 2:
            raise ModelError(f"{path}: not a BlazeFace model (input {list(inp[0].shape)} "
                             f"and {len(outs)} outputs, expected {want} and 2)")
        self._input = inp[0].name
        shapes = {o.name: list(o.shape) for o in outs}
        n = len(self._anchors)
        self._reg = next((k for k, s in shapes.items() if s == [1, n, 16]), None)
        self._cls = next((k for k, s in shapes.items() if s == [1, n, 1]), None)
        if self._reg is None or self._cls is None:
            raise ModelError(f"{path}: outputs {list(shapes.values())} do not match "
                             f"{n} BlazeFace anchors of a {spec.side} px input")

    def run(self, square_bgr: np.ndarray, min_score: float
            ) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Detections (box x0, y0, x1, y1; keypoints [6, 2]; score) in 0-1 input units."""
        reg, cls = self._session.run([self._reg, self._cls], {self._input: to_input(square_bgr)})
        boxes, kps, scores = decode(reg, cls, self._anchors, self.spec.side, min_score)
        return weighted_nms(boxes, kps, scores) if len(scores) else []
