"""One decoded frame: index from 0, time in seconds from the start of the source, BGR image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    index: int
    time_s: float
    image: np.ndarray  # BGR uint8, as decoded
