"""Small image helpers shared by the detectors and the crops: fast downscaling, safe cuts."""

from __future__ import annotations

import cv2
import numpy as np


def shrink(img: np.ndarray, scale: float) -> tuple[np.ndarray, float]:
    """`img` resized by about `scale` (< 1), and the scale actually applied.

    INTER_AREA is ~20x faster for whole-number ratios, so the bulk of the reduction is done
    by an integer factor (after trimming the odd edge pixels), the rest on the smaller image."""
    if scale >= 1.0:
        return img, 1.0
    k = int(1.0 / scale)
    h, w = img.shape[:2]
    if k >= 2 and h >= 2 * k and w >= 2 * k:
        img = img[: h - h % k, : w - w % k]
        img = cv2.resize(img, (img.shape[1] // k, img.shape[0] // k),
                         interpolation=cv2.INTER_AREA)
    rest = scale * w / img.shape[1]
    if rest < 1.0:
        img = cv2.resize(img, None, fx=rest, fy=rest, interpolation=cv2.INTER_AREA)
    return img, img.shape[1] / w


def cut(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, black: bool = False) -> np.ndarray:
    """img[y0:y1, x0:x1]; where the cut leaves the image, edge pixels are replicated (or
    black with `black`, as a detector's letterbox expects)."""
    h, w = img.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 <= cx0 or cy1 <= cy0:
        return np.zeros((max(1, y1 - y0), max(1, x1 - x0), *img.shape[2:]), np.uint8)
    crop = img[cy0:cy1, cx0:cx1]
    if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
        border = cv2.BORDER_CONSTANT if black else cv2.BORDER_REPLICATE
        crop = cv2.copyMakeBorder(crop, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, border, value=0)
    return crop
