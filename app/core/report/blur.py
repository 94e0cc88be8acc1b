"""Face blurring for any exported image that shows a face (privacy of the patient and others).

`blur_faces(image, boxes)` returns a copy with every box (`Face.box`: x, y, w, h, widened by a
margin) pixelated to a coarse grid and then Gaussian-smoothed: pixelation alone leaves shapes a
viewer (or software) can partly undo, a blur alone at this strength still shows the layout of
eyes and mouth. Boxes reaching past the image edge are clipped.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from app.core.analysis.results import Box


def blur_faces(image: np.ndarray, boxes: Iterable[Box], *, margin: float = 0.15,
               cells: int = 6) -> np.ndarray:
    """A copy of `image` (BGR, BGRA or grayscale uint8) with each face box made unrecognisable.
    `cells`: pixel blocks across the (widened) box."""
    out = image.copy()
    height, width = image.shape[:2]
    for x, y, w, h in boxes:
        dx, dy = int(w * margin), int(h * margin)
        x0, y0 = max(0, x - dx), max(0, y - dy)
        x1, y1 = min(width, x + w + dx), min(height, y + h + dy)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = out[y0:y1, x0:x1]
        small = cv2.resize(region, (max(1, min(cells, x1 - x0)), max(1, min(cells, y1 - y0))),
                           interpolation=cv2.INTER_AREA)
        blocky = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        k = max(3, (min(x1 - x0, y1 - y0) // 4) | 1)  # odd kernel, a quarter of the box
        out[y0:y1, x0:x1] = cv2.GaussianBlur(blocky, (k, k), 0).reshape(region.shape)
    return out
