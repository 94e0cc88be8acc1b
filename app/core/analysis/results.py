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
- `Face.yaw_deg` is the head's yaw in degrees (head_pose.py: positive = turned to the person's
  own left), or None when unknown (a held box; a Haar box BlazeFace cannot read). A detected
  face whose yaw is beyond the turned-away limit (with hysteresis) has `turned_away=True`: it
  is tracked and may be the patient, but it is not classified (`probs == ()`, `label == ""`).
  When the patient is turned away, `FrameResult.label`/`probs` are None as without a face, and
  `FrameResult.turned_away` is True: the frame's `state` is `turned_away`, not `no_face`.
- Class names are not repeated per frame: they belong to the analyzer/model (`classes`).

Results are frozen and hold only tuples and numbers, so they can cross threads (e.g. a Qt
signal) and be kept in memory cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]
# FrameResult.state values (the frames CSV's `state` column)
CLASSIFIED, TURNED_AWAY, NO_FACE = "classified", "turned_away", "no_face"


@dataclass(frozen=True, slots=True)
class Face:
    """One face in one frame."""

    box: Box  # x, y, w, h in frame pixels
    track_id: int
    probs: tuple[float, ...]  # in the order of the analyzer's classes
    label: str
    is_patient: bool = False
    detected: bool = True  # False: held over a detector miss, not classified (no probs)
    yaw_deg: float | None = None  # head yaw (head_pose.py), None when unknown
    turned_away: bool = False  # detected, but turned too far to classify (no probs)

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

    @property
    def turned_away(self) -> bool:
        """The patient is detected in this frame but turned away (not classified)."""
        p = self.patient
        return p is not None and p.detected and p.turned_away

    @property
    def yaw_deg(self) -> float | None:
        """The patient's head yaw in this frame, None when unknown or not detected."""
        p = self.patient
        return p.yaw_deg if p is not None and p.detected else None

    @property
    def state(self) -> str:
        """`classified` (the patient's emotion is known), `turned_away` or `no_face` (the
        patient not detected in this frame)."""
        if self.probs is not None:
            return CLASSIFIED
        return TURNED_AWAY if self.turned_away else NO_FACE
