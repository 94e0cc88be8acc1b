"""The one result type of the analysis: a `FrameResult` per decoded frame.

Contract (every consumer — frames CSV, UI timeline, session store, PDF — relies on it):

- One `FrameResult` per decoded frame, in decode order, none skipped; `index` counts from 0
  without gaps within one source.
- `time_s` is seconds from the start of the source: the file's own timestamps for recordings
  (CAP_PROP_POS_MSEC), a monotonic clock at each frame's arrival for live sources (camera,
  stream without a known end; live_feed.py). Non-decreasing. A live source's outages (no
  signal) are gaps in `time_s`, kept beside the results as session events, never as frames.
- Live in the app, the analysis takes the newest frame: frames that arrived while it was busy
  are dropped and counted (never a backlog), and `index` counts the frames analysed, so it
  stays dense; `fer-analyze` keeps every frame.
- `faces` holds every face shown in this frame, ordered by `track_id`: detected in this frame
  (`detected=True`), or held for a few frames after a miss so boxes do not flicker
  (`detected=False`: not classified, `probs == ()` and `label == ""`). A frame without a face
  has `faces == ()`. Counts of faces (CSV `faces`, reports) count detected faces only.
- `Face.box` is `(x, y, w, h)` in integer pixels of the frame as decoded (not downscaled);
  it may reach past the frame edge by a few pixels only when the face does.
- `Face.track_id` is stable across frames for the same person, also across a short loss
  (the analyzer re-acquires a track by position for `forget_s` seconds).
- `Face.probs` are class probabilities in the order of the analyzer's `classes`
  (`Analyzer.classes`, the model's ONNX `classes` metadata); they sum to 1 and are already
  temporally smoothed when smoothing is on. `Face.label` is the class with the highest probability.
- At most one face has `is_patient=True`. `FrameResult.label` / `FrameResult.probs` describe
  that face, or are `None` when the patient is not detected in this frame (no face, a held
  box, or only other people while the patient is briefly lost).
- Class names are not repeated per frame: they belong to the analyzer/model (`classes`).

Results are frozen and hold only tuples and numbers, so they can cross threads (e.g. a Qt
signal) and be kept in memory cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Face:
    """One face in one frame."""

    box: Box  # x, y, w, h in frame pixels
    track_id: int
    probs: tuple[float, ...]  # in the order of the analyzer's classes
    label: str
    is_patient: bool = False
    detected: bool = True  # False: held over a detector miss, not classified (no probs)

    def contains(self, x: float, y: float) -> bool:
        """True if the frame point (x, y) lies inside this face's box."""
        bx, by, bw, bh = self.box
        return bx <= x < bx + bw and by <= y < by + bh


@dataclass(frozen=True, slots=True)
class FrameResult:
    """Analysis of one decoded frame (see the module docstring for the contract)."""

    index: int
    time_s: float
    faces: tuple[Face, ...] = ()
    label: str | None = None  # the patient's label, None when the patient is not visible
    probs: tuple[float, ...] | None = None  # the patient's probabilities, same order as classes

    @property
    def patient(self) -> Face | None:
        """The tracked patient's face in this frame, if visible."""
        return next((f for f in self.faces if f.is_patient), None)

    @property
    def has_face(self) -> bool:
        """A face was detected in this frame (held boxes do not count)."""
        return any(f.detected for f in self.faces)

    @property
    def n_detected(self) -> int:
        return sum(f.detected for f in self.faces)
