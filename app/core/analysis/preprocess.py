"""Face crops prepared exactly like the training images.

FER-2013 images are tight-ish 48x48 grayscale face crops, JPEG-decoded and contrast-stretched
per image to 0-255 (DESIGN.md). So each face box is cropped from the grayscale frame (with a
fixed margin, the same for every face), resized to 48x48 with INTER_AREA, stretched min->0 and
max->255, and passed as float32 raw pixels: scaling to the net's range lives inside the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

FACE_SIDE = 48
# Extra border around the Haar box, x its side. benchmarks/chain_accuracy.py measures Haar's
# frontal-face box on FER-2013 faces: same size as the 48x48 FER crop (median ratio 1.02) and
# centred on it (offset < 1 %), so the box itself is the training framing. Keep it fixed.
FACE_MARGIN = 0.0


def crop_box(box: Sequence[float], margin: float = FACE_MARGIN) -> tuple[int, int, int, int]:
    """Square crop (x0, y0, x1, y1) around box (x, y, w, h), grown by `margin` x side each way."""
    x, y, w, h = (float(v) for v in box)
    side = max(w, h) * (1.0 + 2.0 * margin)
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, y0 = round(cx - side / 2.0), round(cy - side / 2.0)
    s = max(1, round(side))
    return x0, y0, x0 + s, y0 + s


def _cut(gray: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """gray[y0:y1, x0:x1], replicating edge pixels where the crop leaves the frame."""
    h, w = gray.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 <= cx0 or cy1 <= cy0:
        return np.zeros((max(1, y1 - y0), max(1, x1 - x0)), np.uint8)
    crop = gray[cy0:cy1, cx0:cx1]
    if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
        crop = cv2.copyMakeBorder(
            crop, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, cv2.BORDER_REPLICATE
        )
    return crop


def prepare_face(crop: np.ndarray) -> np.ndarray:
    """A grayscale face crop of any size -> float32 48x48, contrast-stretched to 0-255."""
    small = cv2.resize(crop, (FACE_SIDE, FACE_SIDE), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    lo, hi = float(small.min()), float(small.max())
    if hi - lo < 1e-6:
        return np.zeros_like(small)  # flat patch: nothing to stretch
    return (small - lo) * (255.0 / (hi - lo))


def face_batch(
    gray: np.ndarray, boxes: Sequence[Sequence[float]], margin: float = FACE_MARGIN
) -> np.ndarray:
    """All faces of one frame as one model batch: float32 `[N, 48, 48, 1]`, values 0-255."""
    batch = np.empty((len(boxes), FACE_SIDE, FACE_SIDE, 1), np.float32)
    for i, box in enumerate(boxes):
        batch[i, :, :, 0] = prepare_face(_cut(gray, *crop_box(box, margin)))
    return batch
