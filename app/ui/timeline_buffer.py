"""The patient's class probabilities by frame index, kept ready for plotting (numpy, Qt-free).

- Slots are frame indices, because a recording can be analysed out of order after seeks. A slot
  never analysed, or analysed without a visible patient, holds NaN: the plot draws it as a gap
  (connect="finite"), so "no face here" stays visible instead of being bridged by a line.
- x of a slot not analysed yet is estimated from the frame rate, so x stays sorted (pyqtgraph's
  clipToView and downsampling need sorted x). An analysed slot gets the frame's real time.
- Storage is preallocated and doubled when full: adding a frame is O(1) amortised, and a 2-hour
  session at 30 frames/s (216,000 frames) costs ~9 MB for 4 classes.
- Frames where the patient was there but turned away (not read: head_pose.py) are NaN like
  frames without a face, and flagged in `turned()` so the view draws them as a band of their own.
- Smoothing is a display choice: stored results stay raw; `smooth` is an exponential moving
  average with time constant `tau_s`, computed once per frame from the previous frame's value
  (restarting after a gap), so switching raw/smoothed on screen costs nothing.
"""

from __future__ import annotations

import math

import numpy as np

SMOOTH_TAU_S = 0.5


class TimelineBuffer:
    def __init__(self, n_classes: int, fps: float | None = None, capacity: int = 4096,
                 tau_s: float = SMOOTH_TAU_S):
        self.n_classes = n_classes
        self.step = 1.0 / fps if fps else 1.0 / 30.0
        self.tau_s = tau_s
        self.count = 0  # highest index seen + 1: the length handed to the plot
        self.analysed = 0  # distinct frames analysed
        self.with_face = 0  # ... of which showed the patient's face read (probabilities)
        self.version = 0  # bumped on every change: views redraw only when it moved
        self._alloc(max(16, capacity))

    @classmethod
    def from_results(cls, results, n_classes: int) -> TimelineBuffer:
        """A buffer holding stored FrameResults (reopening a session; run off the GUI thread:
        ~10 us a frame). The frame rate for not-analysed slots is estimated from the frames."""
        fps = None
        if len(results) >= 2:
            steps = np.diff([r.time_s for r in results]) / np.diff([r.index for r in results])
            step = float(np.median(steps))
            fps = 1.0 / step if step > 0 else None
        last = max((r.index for r in results), default=0)
        buf = cls(n_classes, fps, capacity=last + 2)
        for r in results:
            buf.add(r.index, r.time_s, r.probs, r.turned_away)
        return buf

    def _alloc(self, capacity: int) -> None:
        self._x = np.arange(capacity, dtype=np.float64) * self.step
        self._raw = np.full((capacity, self.n_classes), np.nan, np.float32)
        self._smooth = np.full((capacity, self.n_classes), np.nan, np.float32)
        self._done = np.zeros(capacity, bool)
        self._turned = np.zeros(capacity, bool)

    def _grow(self, needed: int) -> None:
        old = len(self._x)
        if needed <= old:
            return
        cap = old
        while cap < needed:
            cap *= 2
        x, raw, smooth, done, turned = self._x, self._raw, self._smooth, self._done, self._turned
        self._alloc(cap)
        self._x[:old], self._raw[:old], self._smooth[:old], self._done[:old] = x, raw, smooth, done
        self._turned[:old] = turned

    def add(self, index: int, time_s: float, probs, turned: bool = False) -> None:
        """Store frame `index` (probs=None: no patient visible; `turned`: the patient there but
        turned away). Re-adding a frame replaces it."""
        self._grow(index + 1)
        self._turned[index] = turned and probs is None
        if not self._done[index]:
            self.analysed += 1
        # a slot holds probabilities only once analysed with the face read: replacing a frame
        # moves it in or out of with_face
        self.with_face += int(probs is not None) - int(not np.isnan(self._raw[index, 0]))
        self._done[index] = True
        self._x[index] = time_s
        if probs is None:
            self._raw[index] = np.nan
            self._smooth[index] = np.nan
        else:
            p = np.asarray(probs, np.float32)
            self._raw[index] = p
            self._smooth[index] = self._ema(index, time_s, p)
        self.count = max(self.count, index + 1)
        self.version += 1

    def _ema(self, index: int, time_s: float, p: np.ndarray) -> np.ndarray:
        prev = index - 1
        if prev < 0 or not self._done[prev] or np.isnan(self._smooth[prev, 0]):
            return p
        dt = time_s - self._x[prev]
        if dt < 0:
            return p
        w = 1.0 - math.exp(-dt / self.tau_s) if self.tau_s > 0 else 1.0
        return (1.0 - w) * self._smooth[prev] + w * p

    def x(self) -> np.ndarray:
        return self._x[: self.count]

    def y(self, smoothed: bool = False) -> np.ndarray:
        """[count, n_classes] probabilities (NaN where nothing to show)."""
        return (self._smooth if smoothed else self._raw)[: self.count]

    def truncate(self, index: int) -> None:
        """Forget frames from `index` on (they are analysed again)."""
        if index >= self.count:
            return
        done = self._done[index: self.count]
        self.analysed -= int(done.sum())
        self.with_face -= int((done & ~np.isnan(self._raw[index: self.count, 0])).sum())
        self._raw[index:] = np.nan
        self._smooth[index:] = np.nan
        self._done[index:] = False
        self._turned[index:] = False
        start = self._x[index - 1] if index > 0 else -self.step
        self._x[index:] = start + self.step * np.arange(1, len(self._x) - index + 1)
        self.count = index
        self.version += 1

    def has(self, index: int) -> bool:
        """Frame `index` was analysed (a result for it is stored)."""
        return 0 <= index < self.count and bool(self._done[index])

    def analysed_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, raw probs [n, k]) of the analysed frames only, in index order (NaN rows: no
        patient): what note_labels.label_note reads, as the exports read the stored frames."""
        done = self._done[: self.count]
        return self._x[: self.count][done], self._raw[: self.count][done].astype(np.float64)

    @property
    def turned_count(self) -> int:
        """Analysed frames showing the patient turned away (there, but not read)."""
        return int(self._turned[: self.count].sum())

    def turned(self) -> np.ndarray:
        """[count] bool: the patient was turned away in that frame."""
        return self._turned[: self.count]

    def analysed_turned(self) -> np.ndarray:
        """`turned()` of the analysed frames only, aligned with `analysed_arrays`."""
        return self._turned[: self.count][self._done[: self.count]]

    def last_time(self) -> float:
        return float(self._x[self.count - 1]) if self.count else 0.0
