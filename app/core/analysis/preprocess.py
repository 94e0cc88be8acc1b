"""Face crops prepared exactly like the training images.

FER-2013 images are tight-ish 48x48 grayscale face crops, JPEG-decoded and contrast-stretched
per image to 0-255 (DESIGN.md). So each face is cut from the grayscale frame in the FER framing,
resized to 48x48 with INTER_AREA, stretched min->0 and max->255, and passed as float32 raw
pixels: scaling to the net's range lives inside the model.

The framing depends on what found the face:
- a Haar box already is the FER framing: benchmarks/chain_accuracy.py measured it on FER-2013
  faces (median FER side / Haar side 1.02, centre offset < 1 %), so the box is cut as is;
- a BlazeFace box is tighter and lower: benchmarks/crop_framing.py measured on 1,372 FER-2013
  PublicTest faces that the FER frame is 1.20 x the box side, its centre 0.085 box sides above
  the box centre (ALIGNED_*). The crop is also turned so the eyes are level (head roll undone),
  as FER-2013 faces mostly are (median roll 0.1 deg, quartiles +-5 deg).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from app.core.analysis.imaging import cut, shrink

FACE_SIDE = 48
# Extra border around the Haar box, x its side: 0, see above. Keep it fixed.
FACE_MARGIN = 0.0
ALIGNED_SCALE = 1.20  # FER side / BlazeFace box side (median)
ALIGNED_OFFSET = (0.0, -0.085)  # FER centre - box centre, x box side, in the levelled frame
RIGHT_EYE, LEFT_EYE, NOSE = 0, 1, 2  # BlazeFace keypoint order (blazeface.py)


def crop_box(box: Sequence[float], margin: float = FACE_MARGIN) -> tuple[int, int, int, int]:
    """Square crop (x0, y0, x1, y1) around box (x, y, w, h), grown by `margin` x side each way."""
    x, y, w, h = (float(v) for v in box)
    side = max(w, h) * (1.0 + 2.0 * margin)
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, y0 = round(cx - side / 2.0), round(cy - side / 2.0)
    s = max(1, round(side))
    return x0, y0, x0 + s, y0 + s


def nose_offset(keypoints: np.ndarray) -> float:
    """How far the head is turned: the nose tip's sideways distance from the eye midpoint, in
    eye distances, with the eyes levelled (0 frontal; about 0.3 at 30 degrees of yaw, 0.6 at 45)."""
    kps = np.asarray(keypoints, float)
    eye = kps[LEFT_EYE] - kps[RIGHT_EYE]
    dist = float(np.hypot(*eye))
    if dist < 1e-9:
        return float("nan")
    along = (kps[NOSE] - (kps[LEFT_EYE] + kps[RIGHT_EYE]) / 2) @ eye / dist
    return float(along / dist)


def aligned_frame(box: Sequence[float], keypoints: np.ndarray) -> tuple[float, float, float, float]:
    """FER framing (centre x, centre y, side, roll in radians) of a BlazeFace face."""
    x, y, w, h = (float(v) for v in box)
    eye = np.asarray(keypoints[LEFT_EYE], float) - np.asarray(keypoints[RIGHT_EYE], float)
    roll = float(np.arctan2(eye[1], eye[0]))
    side = max(w, h)
    c, s = np.cos(roll), np.sin(roll)
    dx, dy = ALIGNED_OFFSET[0] * side, ALIGNED_OFFSET[1] * side
    return x + w / 2 + c * dx - s * dy, y + h / 2 + s * dx + c * dy, side * ALIGNED_SCALE, roll


def aligned_crop(gray: np.ndarray, cx: float, cy: float, side: float, roll: float,
                 out: int = FACE_SIDE) -> np.ndarray:
    """The square of `side` px centred on (cx, cy) and turned by `roll`, levelled, as an
    `out` x `out` uint8 image. The area around it is first reduced with INTER_AREA to about
    twice the output size, so a large face is not aliased by the rotation's interpolation."""
    half = side / 2 * (abs(np.cos(roll)) + abs(np.sin(roll))) + 2
    x0, y0 = int(np.floor(cx - half)), int(np.floor(cy - half))
    x1, y1 = int(np.ceil(cx + half)), int(np.ceil(cy + half))
    region, k = shrink(cut(gray, x0, y0, x1, y1), 2.0 * out / max(side, 1.0))
    centre = ((cx - x0) * k, (cy - y0) * k)
    m = cv2.getRotationMatrix2D(centre, float(np.degrees(roll)), out / max(side * k, 1e-6))
    m[:, 2] += (out / 2 - centre[0], out / 2 - centre[1])
    return cv2.warpAffine(region, m, (out, out), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def prepare_face(crop: np.ndarray) -> np.ndarray:
    """A grayscale face crop of any size -> float32 48x48, contrast-stretched to 0-255."""
    small = crop
    if crop.shape[:2] != (FACE_SIDE, FACE_SIDE):
        small = cv2.resize(crop, (FACE_SIDE, FACE_SIDE), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    lo, hi = float(small.min()), float(small.max())
    if hi - lo < 1e-6:
        return np.zeros_like(small)  # flat patch: nothing to stretch
    return (small - lo) * (255.0 / (hi - lo))


def face_batch(
    gray: np.ndarray, boxes: Sequence[Sequence[float]], margin: float = FACE_MARGIN,
    keypoints: Sequence[np.ndarray | None] | None = None,
) -> np.ndarray:
    """All faces of one frame as one model batch: float32 `[N, 48, 48, 1]`, values 0-255.
    `keypoints[i]` (BlazeFace's, or None for a Haar box) selects the levelled FER framing."""
    batch = np.empty((len(boxes), FACE_SIDE, FACE_SIDE, 1), np.float32)
    for i, box in enumerate(boxes):
        kps = keypoints[i] if keypoints is not None else None
        if kps is None:
            crop = cut(gray, *crop_box(box, margin))
        else:
            crop = aligned_crop(gray, *aligned_frame(box, kps))
        batch[i, :, :, 0] = prepare_face(crop)
    return batch
