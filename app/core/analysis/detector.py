"""Haar-cascade face detection, made fast by working on small images.

Haar cost grows with image area and with the number of scales tried. So:
- `scan` looks at the whole frame, downscaled so the smallest face we want (a fraction of the
  frame height) just fills the cascade's 24-px window;
- `search` looks only near a known face: a crop around its last box, downscaled so the face is
  ~36 px, trying only sizes within -20 %/+30 % of it. About 1 ms instead of 10-40 ms.
The analyzer decides when to scan and when to search (see analyzer.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from app.core.errors import CoreError

CASCADE_FILE = "haarcascade_frontalface_default.xml"
# A second opinion, only inside a search region: alt2's features differ enough that it finds
# many of the faces default misses for a frame or two (chain_accuracy.py: 98.9 -> see README).
FALLBACK_CASCADE_FILE = "haarcascade_frontalface_alt2.xml"
WINDOW = 24  # the cascade's native window (px)
SCAN_FACE_PX = 28  # smallest wanted face maps to this many px in a scan (just above WINDOW)
SEARCH_FACE_PX = 36  # the known face maps to this many px in a search
SEARCH_MARGIN = 0.4  # search region = last box grown by this x side on each edge


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


def _boxes(found, scale: float, dx: int = 0, dy: int = 0) -> list[np.ndarray]:
    """Haar hits (x, y, w, h) in a scaled crop -> float boxes in frame pixels."""
    return [np.array([x / scale + dx, y / scale + dy, w / scale, h / scale])
            for x, y, w, h in found]


def _load(name: str) -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + name
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise CoreError(f"cannot load the Haar face cascade {path}")
    return cascade


class HaarDetector:
    """OpenCV's frontal-face Haar cascade with a full-frame `scan` and a local `search`."""

    def __init__(self):
        self._cascade = _load(CASCADE_FILE)
        self._fallback = _load(FALLBACK_CASCADE_FILE)

    def scan(
        self, gray: np.ndarray, min_face_px: float, scale_factor: float = 1.2,
        min_neighbors: int = 3,
    ) -> tuple[list[np.ndarray], list[int]]:
        """All faces at least `min_face_px` tall in the frame: float boxes (x, y, w, h) and,
        per box, how many raw cascade hits it merges (Haar's confidence: ~20-40 on a clear
        face, < 10 on most false positives)."""
        small, scale = shrink(gray, SCAN_FACE_PX / max(min_face_px, 1.0))
        found, votes = self._cascade.detectMultiScale2(
            small, scale_factor, min_neighbors, minSize=(WINDOW, WINDOW)
        )
        return _boxes(found, scale), [int(v) for v in np.ravel(votes)]

    def search(
        self, gray: np.ndarray, box: Sequence[float], min_neighbors: int = 2
    ) -> np.ndarray | None:
        """The face near `box` (x, y, w, h) in this frame, or None if not found there.

        Fewer neighbours than a scan need agree: the prior (a face was just here, at this
        size) already rules out most false positives."""
        x, y, w, h = box
        fh, fw = gray.shape[:2]
        m = SEARCH_MARGIN * w
        x0, y0 = max(0, int(x - m)), max(0, int(y - m))
        x1, y1 = min(fw, int(x + w + m)), min(fh, int(y + h + m))
        if x1 - x0 < WINDOW or y1 - y0 < WINDOW:
            return None
        roi, scale = shrink(gray[y0:y1, x0:x1], SEARCH_FACE_PX / max(w, 1.0))
        side = w * scale
        lo, hi = max(WINDOW, int(side * 0.8)), max(WINDOW + 1, int(side * 1.3) + 1)
        for cascade in (self._cascade, self._fallback):
            found = cascade.detectMultiScale(
                roi, 1.08, min_neighbors, minSize=(lo, lo), maxSize=(hi, hi)
            )
            if len(found):
                break
        cands = _boxes(found, scale, x0, y0)
        if not cands:
            return None
        # Several hits: the one closest to where the face was.
        centre = np.array([x + w / 2, y + h / 2])
        return min(cands, key=lambda b: float(np.linalg.norm(b[:2] + b[2:] / 2 - centre)))
