"""What the worker hands the GUI per frame, and the per-index result cache behind it.

The QImage is made in the worker thread (a deep copy in a paint-friendly format), so the GUI
thread only paints; the FrameResult is immutable, so both can cross threads safely.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtGui import QImage

from app.core.analysis.results import FrameResult
from app.core.session.types import SessionStoreError, pack_faces, pack_probs, unpack_frame


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
    """FrameResults by frame index (a list: indices are dense), kept packed.

    As objects a FrameResult with one face takes ~570 bytes: a 2-hour session at 30 frames/s
    would hold ~120 MB here. Packed as the session store packs them (exact float64, so a
    result read back equals the one put) it takes ~150. Without `classes`, or for a result
    that does not fit them, the object is kept as it is.
    """

    _HEAD = struct.Struct("<dbB")  # time_s, label index (-1: none), probabilities given

    def __init__(self, results=(), classes=None):
        self._classes = tuple(classes) if classes else None
        self._items: list[bytes | FrameResult | None] = []
        for r in results:
            self.put(r)

    def put(self, result: FrameResult) -> None:
        if result.index >= len(self._items):
            self._items.extend([None] * (result.index + 1 - len(self._items)))
        self._items[result.index] = self._pack(result)

    @property
    def classes(self) -> tuple[str, ...] | None:
        return self._classes

    def get(self, index: int) -> FrameResult | None:
        item = self._items[index] if 0 <= index < len(self._items) else None
        return self._unpack(index, item) if isinstance(item, bytes) else item

    def __len__(self) -> int:
        return sum(r is not None for r in self._items)

    def _pack(self, r: FrameResult) -> bytes | FrameResult:
        classes = self._classes
        if classes is None or (r.label is not None and r.label not in classes) or (
                r.probs is not None and len(r.probs) != len(classes)):
            return r
        try:
            faces = pack_faces(r.faces, classes) or b""
        except SessionStoreError:
            return r
        label = -1 if r.label is None else classes.index(r.label)
        return (self._HEAD.pack(r.time_s, label, r.probs is not None)
                + (pack_probs(r.probs) or b"") + faces)

    def _unpack(self, index: int, blob: bytes) -> FrameResult:
        classes, k = self._classes, len(self._classes)
        time_s, label, has_probs = self._HEAD.unpack_from(blob)
        pos = self._HEAD.size + (8 * k if has_probs else 0)
        probs = blob[self._HEAD.size:pos] if has_probs else None
        return unpack_frame((index, time_s, None if label < 0 else classes[label], probs,
                             blob[pos:] or None), classes, k)


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
