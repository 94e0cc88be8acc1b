"""MediaPipe's face mesh run with ONNX Runtime: a second opinion on how far a head is turned.

BlazeFace's six keypoints lag a turn beyond ~45 degrees and often read a small or blurred
profile as nearly frontal (docs/head_pose.md). The face mesh (models/face_mesh.onnx, converted
from MediaPipe's `face_landmark.tflite` by scripts/convert_mediapipe.py, Apache-2.0) fits 468
landmarks with depth to a face crop and says how sure it is that a whole face is there. Two
readings come from it:

- `yaw_deg`: the turn of the line across the face (cheek contour, outer eye corners) in the
  x-z plane, with head_pose.py's sign (positive: turned to the person's left);
- `presence`: the model's face-presence score (0-1). It stays at 1.00 on frontal and
  half-turned faces (the stock clip under camera-like changes: no frame below 0.99) and drops
  when the mesh cannot be laid on the face: a profile, whose far half is hidden
  (benchmarks/head_pose.py).

The crop is MediaPipe's: a square 1.5 times the face box, centred on it and levelled by the
eye line (upright without keypoints, e.g. a Haar box), scaled to 192 px, RGB in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.core.analysis.imaging import cut, shrink
from app.core.errors import ModelError

MESH_MODEL = "face_mesh.onnx"
SIDE = 192  # the model's input side
ROI_SCALE = 1.5  # crop side / face box side (MediaPipe's face_detection_to_roi)
# Symmetric landmark pairs (the person's right, left): cheek contour at eye level, at the
# temple, and the outer eye corners.
ACROSS = ((234, 454), (127, 356), (33, 263))


@dataclass(frozen=True)
class MeshReading:
    yaw_deg: float  # head yaw from the mesh's depth (positive: the person's left)
    presence: float  # 0-1: how sure the model is that a whole face is in the crop


def mesh_yaw(points: np.ndarray) -> float:
    """Yaw in degrees from [468, 3] mesh points (x right, z away from the camera)."""
    d = np.array([points[b] - points[a] for a, b in ACROSS], float)
    return float(np.degrees(np.arctan2(d[:, 2], d[:, 0])).mean())


class FaceMesh:
    """The face-mesh model; `read(frame, box, keypoints)` -> MeshReading."""

    def __init__(self, path: Path, device: str = "auto", threads: int = 1):
        from app.core.analysis.providers import open_model  # onnxruntime only when built

        self._session, self.provider = open_model(path, "face mesh", device, threads)
        inp, outs = self._session.get_inputs(), self._session.get_outputs()
        shapes = {o.name: int(np.prod(o.shape)) for o in outs}
        self._points = next((k for k, n in shapes.items() if n == 468 * 3), None)
        self._presence = next((k for k, n in shapes.items() if n == 1), None)
        if (len(inp) != 1 or list(inp[0].shape) != [1, SIDE, SIDE, 3]
                or self._points is None or self._presence is None):
            raise ModelError(f"{path}: not a face mesh model (input {list(inp[0].shape)}, "
                             f"outputs {list(shapes.values())})")
        self._input = inp[0].name

    def read(self, frame: np.ndarray, box, keypoints: np.ndarray | None) -> MeshReading:
        """The mesh of the face in `box` (x, y, w, h, frame pixels) of a BGR or gray frame."""
        crop = crop_face(frame, box, keypoints)
        rgb = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB if crop.ndim == 2 else cv2.COLOR_BGR2RGB)
        points, logit = self._session.run(
            [self._points, self._presence],
            {self._input: (rgb.astype(np.float32) * (1 / 255.0))[None]})
        presence = 1.0 / (1.0 + np.exp(-float(np.clip(logit.ravel()[0], -80, 80))))
        return MeshReading(mesh_yaw(points.reshape(468, 3)), float(presence))


def crop_face(frame: np.ndarray, box, keypoints: np.ndarray | None) -> np.ndarray:
    """The model's 192-px input: the face box enlarged 1.5x, levelled by the eye line."""
    x, y, w, h = (float(v) for v in box)
    roll = 0.0
    if keypoints is not None:
        eye = np.asarray(keypoints[1], float) - np.asarray(keypoints[0], float)
        roll = float(np.arctan2(eye[1], eye[0]))
    side = ROI_SCALE * max(w, h, 1.0)
    # the region the turned square covers, shrunk first (a warp alone would alias big faces)
    half = side / 2 * (abs(np.cos(roll)) + abs(np.sin(roll))) + 2
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(np.floor(cx - half)), int(np.floor(cy - half))
    region, k = shrink(cut(frame, x0, y0, int(np.ceil(cx + half)), int(np.ceil(cy + half))),
                       1.5 * SIDE / side)
    scale = side * k / SIDE
    c, s = np.cos(roll) * scale, np.sin(roll) * scale
    m = np.array([[c, -s, 0.0], [s, c, 0.0]])  # crop pixels -> region pixels
    m[:, 2] = np.array([(cx - x0) * k, (cy - y0) * k]) - m[:, :2] @ [SIDE / 2, SIDE / 2]
    return cv2.warpAffine(region, m, (SIDE, SIDE), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
