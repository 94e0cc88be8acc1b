"""Temporal smoothing of class probabilities, per face track and by time, not by frame.

An exponential moving average with time constant `tau_s`: a new frame dt seconds after the
previous one gets weight 1 - exp(-dt / tau_s). Being time-based it behaves the same at 10 or
60 frames/s and across dropped frames; after a long gap the weight is ~1, so a face that
returns starts fresh. `tau_s = 0` turns smoothing off.
"""

from __future__ import annotations

import math

import numpy as np


class ProbabilitySmoother:
    def __init__(self, tau_s: float = 0.0):
        if tau_s < 0 or not math.isfinite(tau_s):
            raise ValueError(f"smoothing time constant must be >= 0 s, got {tau_s}")
        self.tau_s = tau_s
        self._state: dict[int, tuple[float, np.ndarray]] = {}

    def reset(self) -> None:
        self._state.clear()

    def update(self, track_id: int, time_s: float, probs: np.ndarray) -> np.ndarray:
        """Smoothed probabilities of `track_id` at `time_s` given this frame's `probs`."""
        if self.tau_s == 0:
            return probs
        prev = self._state.get(track_id)
        if prev is None:
            out = probs
        else:
            dt = max(0.0, time_s - prev[0])
            w = 1.0 - math.exp(-dt / self.tau_s)
            out = (1.0 - w) * prev[1] + w * probs
        self._state[track_id] = (time_s, out)
        return out

    def keep_only(self, track_ids: set[int]) -> None:
        """Forget tracks that no longer exist (bounded memory over long sessions)."""
        for tid in [t for t in self._state if t not in track_ids]:
            del self._state[tid]
