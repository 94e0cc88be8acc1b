"""Haar-cascade face detection, made fast by working on small images.

Haar cost grows with image area and with the number of scales tried. So:
- `scan` looks at the whole frame, downscaled so the smallest face we want (a fraction of the
  frame height) just fills the cascade's 24-px window;
- `search` looks only near a known face: a crop around its last box, downscaled so the face is
  ~36 px, trying only sizes within -20 %/+30 % of it. About 1 ms instead of 10-40 ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.core.analysis.detection import Detection
from app.core.analysis.imaging import shrink
from app.core.errors import CoreError

CASCADE_FILE = "haarcascade_frontalface_default.xml"
# A second opinion, only inside a search region: alt2's features differ enough that it finds
# many of the faces default misses for a frame or two.
FALLBACK_CASCADE_FILE = "haarcascade_frontalface_alt2.xml"
WINDOW = 24  # the cascade's native window (px)
SCAN_FACE_PX = 28  # smallest wanted face maps to this many px in a scan (just above WINDOW)
SEARCH_FACE_PX = 36  # the known face maps to this many px in a search
SEARCH_MARGIN = 0.4  # search region = last box grown by this x side on each edge


@dataclass
class HaarConfig:
    # Pyramid step of scans: 1.2 costs half of 1.1; in a video a face missed at one size is
    # caught a few frames later, in a still image there is no later, so 1.1 there.
    scale_factor: float = 1.2
    still_scale_factor: float = 1.1
    # Hits that must agree. Video: a one-frame false positive is filtered by the track
    # confirmation anyway, and 3 finds more FER faces than 4 (chain_accuracy.py); a still
    # image has no second frame to confirm, so it asks more.
    min_neighbors: int = 3
    still_min_neighbors: int = 4
    search_min_neighbors: int = 2  # the prior (a face was just here) rules out most FPs
    strong_votes: int = 15  # merged hits of a clear face: ~20-40; most false positives < 10


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

    provider = None  # runs in OpenCV, not ONNX Runtime

    def __init__(self, config: HaarConfig | None = None):
        self.config = config or HaarConfig()
        self._cascade = _load(CASCADE_FILE)
        self._fallback = _load(FALLBACK_CASCADE_FILE)

    def scan(self, frame: np.ndarray, gray: np.ndarray, min_face_px: float, still: bool = False
             ) -> list[Detection]:
        """All faces at least `min_face_px` tall in the frame."""
        cfg = self.config
        step = cfg.still_scale_factor if still else cfg.scale_factor
        mn = cfg.still_min_neighbors if still else cfg.min_neighbors
        small, scale = shrink(gray, SCAN_FACE_PX / max(min_face_px, 1.0))
        found, votes = self._cascade.detectMultiScale2(small, step, mn, minSize=(WINDOW, WINDOW))
        return [Detection(b, min(1.0, int(v) / 30), None, int(v) >= cfg.strong_votes)
                for b, v in zip(_boxes(found, scale), np.ravel(votes), strict=True)]

    def search(self, frame: np.ndarray, gray: np.ndarray, box: Sequence[float]
               ) -> Detection | None:
        """The face near `box` (x, y, w, h) in this frame, or None if not found there."""
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
                roi, 1.08, self.config.search_min_neighbors, minSize=(lo, lo), maxSize=(hi, hi)
            )
            if len(found):
                break
        cands = _boxes(found, scale, x0, y0)
        if not cands:
            return None
        # Several hits: the one closest to where the face was.
        centre = np.array([x + w / 2, y + h / 2])
        best = min(cands, key=lambda b: float(np.linalg.norm(b[:2] + b[2:] / 2 - centre)))
        return Detection(best, 0.5)
