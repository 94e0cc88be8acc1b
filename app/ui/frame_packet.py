"""What the worker hands the GUI per frame, and the per-index result cache behind it.

The QImage is made in the worker thread (a deep copy in a paint-friendly format), so the GUI
thread only paints; the FrameResult is immutable, so both can cross threads safely.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtGui import QImage

from app.core.analysis.results import FrameResult


@dataclass(frozen=True, slots=True)
class FramePacket:
    """One displayed frame, sent from the worker to the GUI."""

    index: int
    time_s: float
    image: QImage  # display copy (RGB32), possibly downscaled
    frame_size: tuple[int, int]  # decoded width, height: the pixels FrameResult boxes use
    result: FrameResult | None  # None: shown but not analysed (paused seek)
    fresh: bool  # analysed just now (False: from the cache, or not analysed)


class ResultCache:
    """FrameResults by frame index (a list: indices are dense)."""

    def __init__(self, results=()):
        self._items: list[FrameResult | None] = []
        for r in results:
            self.put(r)

    def put(self, result: FrameResult) -> None:
        if result.index >= len(self._items):
            self._items.extend([None] * (result.index + 1 - len(self._items)))
        self._items[result.index] = result

    def get(self, index: int) -> FrameResult | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def __len__(self) -> int:
        return sum(r is not None for r in self._items)


def to_qimage(bgr: np.ndarray, max_width: int) -> QImage:
    """A QImage that owns its pixels (the numpy buffer is reused by the decoder)."""
    if bgr.ndim == 2:
        bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
    h, w = bgr.shape[:2]
    if w > max_width:  # painting a smaller image keeps the GUI thread light
        h, w = round(h * max_width / w), max_width
        bgr = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_AREA)
    bgr = np.ascontiguousarray(bgr[:, :, :3])
    image = QImage(bgr.data, w, h, bgr.strides[0], QImage.Format.Format_BGR888)
    return image.convertToFormat(QImage.Format.Format_RGB32)  # a deep copy, fast to paint
