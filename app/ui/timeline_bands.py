"""Stretches of session time marked on the timeline as a band (e.g. the uncertain frames).

A `Band` is one graphics item however many stretches it holds: a path of rectangles in plot
coordinates (x in seconds, y in probability units), filled without an outline, so zooming and
panning cost nothing extra and a 2-hour session with thousands of stretches stays one item.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem


class Band(QGraphicsPathItem):
    def __init__(self, y0: float, y1: float, colour: str):
        super().__init__()
        self.y0, self.y1 = y0, y1
        self.runs: list[tuple[float, float]] = []
        self.setPen(QPen(QColor(0, 0, 0, 0), 0))
        self.setBrush(QBrush(QColor(colour)))
        self.setZValue(5)

    def set_runs(self, runs: list[tuple[float, float]]) -> None:
        """Show the stretches (start_s, end_s); an empty list clears the band."""
        if runs == self.runs:
            return
        self.runs = runs
        path = QPainterPath()
        for start, end in runs:
            path.addRect(start, self.y0, max(end - start, 1e-6), self.y1 - self.y0)
        self.setPath(path)


def uncertain_runs(times: np.ndarray, raw: np.ndarray, below: float,
                   step: float) -> list[tuple[float, float]]:
    """Stretches (start_s, end_s) of frames whose own top probability is below `below`
    (NaN rows: no face, never uncertain). Each frame covers half a step either side."""
    if below <= 0 or len(times) == 0:
        return []
    with np.errstate(invalid="ignore"):
        top = np.where(np.isnan(raw[:, 0]), np.inf, np.nanmax(np.nan_to_num(raw, nan=-1.0),
                                                               axis=1))
    flag = np.concatenate(([False], top < below, [False]))
    edges = np.flatnonzero(np.diff(flag.astype(np.int8)))
    half = step / 2
    return [(float(times[a]) - half, float(times[b - 1]) + half)
            for a, b in zip(edges[::2], edges[1::2], strict=True)]
