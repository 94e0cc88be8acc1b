"""Frames marked along a strip of the timeline (e.g. the uncertain ones), drawn as one image.

A long session can hold tens of thousands of marked stretches; as rectangles they took a
second to paint (benchmarks/bench_timeline.py). Here the strip is a one-pixel-high image with a
pixel per frame step of session time, scaled by the plot like any item in plot coordinates (x in
seconds, y in probability units): painting it costs next to nothing at any zoom, and a frame
lands where its time is, however irregular a live source's frame times.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QGraphicsObject


class Band(QGraphicsObject):
    def __init__(self, y0: float, y1: float, colour: str):
        super().__init__()
        self.y0, self.y1 = y0, y1
        self._argb = np.uint32(QColor(colour).rgba())
        self.times = np.zeros(0)  # the frames marked, by their time in seconds
        self._rect = QRectF()
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None  # the image's memory, kept alive with it
        self.setZValue(5)
        self.setFlag(QGraphicsObject.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter, option, *_) -> None:
        if self._image is None:
            return
        # only the columns in view: a zoomed-in view of a long session scales a few of them
        shown = option.exposedRect.intersected(self._rect)
        if shown.isEmpty():
            return
        step = self._rect.width() / self._image.width()
        first = max(0, int((shown.left() - self._rect.left()) / step))
        last = min(self._image.width(), int((shown.right() - self._rect.left()) / step) + 1)
        target = QRectF(self._rect.left() + first * step, self._rect.top(),
                        (last - first) * step, self._rect.height())
        painter.drawImage(target, self._image, QRectF(first, 0, last - first, 1))

    def set_times(self, times: np.ndarray, step: float) -> None:
        """Mark the frames at `times` (sorted, seconds), each one `step` wide."""
        times = np.asarray(times, float)
        if np.array_equal(times, self.times):
            return
        self.prepareGeometryChange()
        self.times = times
        if len(times) == 0 or step <= 0:
            self._image, self._pixels, self._rect = None, None, QRectF()
            self.update()
            return
        n = int(round((times[-1] - times[0]) / step)) + 1
        pixels = np.zeros(n, np.uint32)
        pixels[np.clip(np.round((times - times[0]) / step).astype(np.int64), 0, n - 1)] = \
            self._argb
        self._pixels = pixels
        self._image = QImage(pixels.data, n, 1, 4 * n, QImage.Format.Format_ARGB32)
        self._rect = QRectF(times[0] - step / 2, self.y0, n * step, self.y1 - self.y0)
        self.update()


def uncertain_times(times: np.ndarray, raw: np.ndarray, below: float) -> np.ndarray:
    """Times of the frames whose own top probability is below `below` (NaN rows: no face,
    never uncertain)."""
    if below <= 0 or len(times) == 0:
        return np.zeros(0)
    top = np.max(np.nan_to_num(raw, nan=np.inf), axis=1)
    return np.asarray(times, float)[top < below]
