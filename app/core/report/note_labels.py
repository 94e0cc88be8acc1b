"""The model's label of a clinician's note: one definition for the app, CSVs, PDF and kappa.

A note's model label is the **majority label of the patient's face over the second up to the
note** (frames with `note - 1 s <= time <= note`). Why this window:

- a note stamps the key press, which comes *after* what the clinician saw and reacted to, so
  the frames before the note are the ones that prompted it; frames after it were not seen yet;
- single frames flicker (one frame can read "sad" inside a smile), a one-second majority does not;
- in a live session the label is known the moment the note is made and never changes later.

Each analysed frame in the window votes: its label, `uncertain` when its top probability is below
the model's uncertainty threshold (uncertainty.py), `turned away` when the patient's face was
there but turned too far to be read (head_pose.py), nothing when the patient's face is not in
it. A tie goes to the label seen most recently. The outcome (`NoteLabel.status`):

- `ok`: the label is an emotion class;
- `uncertain`: uncertain frames outvote every emotion;
- `turned_away`: turned-away frames outvote every emotion (and uncertain);
- `no_face`: frames were analysed in that second, none showed the patient;
- `not_analysed`: no frame in that second was analysed (yet);
- `after_end`: the note is later than the last analysed frame (more than 1.5 frame steps after
  it): a note timed after the end of a recording is flagged, never given the last frame's label;
- `no_signal`: the note falls in an outage of a live source (`outages`, session/outages.py):
  the clinician saw something the camera did not deliver, so no frame speaks for it.

Only `ok` notes are compared with the clinician's perceived emotion (agreement.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.analysis.results import FrameResult
from app.core.analysis.uncertainty import UNCERTAIN

WINDOW_S = 1.0
STATUS_TEXT = {"uncertain": UNCERTAIN, "no_face": "no face", "not_analysed": "not analysed",
               "after_end": "after last frame", "no_signal": "no signal"}
TURNED_AWAY_TEXT = "turned away"
STATUS_TEXT["turned_away"] = TURNED_AWAY_TEXT
_UNCERTAIN_VOTE, _TURNED_VOTE = -1, -2


@dataclass(frozen=True, slots=True)
class NoteLabel:
    label: str | None  # an emotion class when status == "ok", else None
    status: str  # ok | uncertain | turned_away | no_face | not_analysed | after_end | no_signal

    @property
    def text(self) -> str:
        """What the app and the PDF show: the emotion, or why there is none."""
        return self.label if self.label is not None else STATUS_TEXT[self.status]


def frame_arrays(frames: Sequence[FrameResult], k: int) -> tuple[np.ndarray, np.ndarray]:
    """(times, probs[n, k]) of stored frames, NaN rows where the patient is not visible."""
    times = np.fromiter((r.time_s for r in frames), np.float64, len(frames))
    probs = np.full((len(frames), k), np.nan)
    for i, r in enumerate(frames):
        if r.probs is not None:
            probs[i] = r.probs
    return times, probs


def turned_flags(frames: Sequence[FrameResult]) -> np.ndarray:
    """[n] bool: the patient was there but turned away (results.FrameResult.turned_away)."""
    return np.fromiter((r.turned_away for r in frames), bool, len(frames))


def label_note(times: np.ndarray, probs: np.ndarray, time_s: float, classes: Sequence[str], *,
               uncertain_below: float = 0.0, window_s: float = WINDOW_S,
               top: np.ndarray | None = None, step: float | None = None,
               outages: Sequence = (), turned: np.ndarray | None = None) -> NoteLabel:
    """The note label from analysed frames: `times` sorted, `probs` [n, k] with NaN rows where
    no patient face (the probabilities the user sees: baseline-corrected when one is used);
    `top` [n]: the model's own top probability, which the uncertainty threshold is calibrated
    on (default: the top of `probs`); `step`: `frame_step(times)`, given when labelling many
    notes; `outages`: `Outage`s of a live source (an open one lasts on); `turned` [n]: frames
    where the patient was turned away (default: none)."""
    if in_outage(time_s, outages):
        return NoteLabel(None, "no_signal")
    n = len(times)
    if n == 0:
        return NoteLabel(None, "not_analysed")
    step = frame_step(times) if step is None else step
    if time_s > times[-1] + max(1.5 * step, 1e-6):
        return NoteLabel(None, "after_end")
    lo = int(np.searchsorted(times, time_s - window_s, side="left"))
    hi = int(np.searchsorted(times, time_s + 1e-9, side="right"))
    if lo >= hi:
        return NoteLabel(None, "not_analysed")
    window = probs[lo:hi]
    face = ~np.isnan(window[:, 0])
    away = np.zeros(hi - lo, bool) if turned is None else turned[lo:hi] & ~face
    if not face.any() and not away.any():
        return NoteLabel(None, "no_face")
    votes = np.full(hi - lo, _TURNED_VOTE)
    if face.any():
        conf = np.max(window[face], axis=1) if top is None else top[lo:hi][face]
        votes[face] = np.where(conf < uncertain_below, _UNCERTAIN_VOTE,
                               np.argmax(window[face], axis=1))
    votes = votes[face | away]  # in time order
    values, counts = np.unique(votes, return_counts=True)
    tied = set(values[counts == counts.max()].tolist())
    winner = next(int(v) for v in votes[::-1] if int(v) in tied)  # the most recent of the tied
    if winner == _TURNED_VOTE:
        return NoteLabel(None, "turned_away")
    return NoteLabel(None, "uncertain") if winner < 0 else NoteLabel(classes[winner], "ok")


def in_outage(time_s: float, outages: Sequence) -> bool:
    """`time_s` lies in one of `outages` (start < t < end; an open one has no end)."""
    return any(o.start_s < time_s and (o.end_s is None or time_s < o.end_s) for o in outages)


def frame_step(times: np.ndarray) -> float:
    """The typical time between analysed frames (0 for fewer than two)."""
    return float(np.median(np.diff(times))) if len(times) > 1 else 0.0


def labels_for(times: np.ndarray, probs: np.ndarray, note_times: Sequence[float],
               classes: Sequence[str], *, uncertain_below: float = 0.0,
               top: np.ndarray | None = None, outages: Sequence = (),
               turned: np.ndarray | None = None) -> list[NoteLabel]:
    """`label_note` for many notes over the same frames."""
    step = frame_step(times)
    return [label_note(times, probs, t, classes, uncertain_below=uncertain_below, top=top,
                       step=step, outages=outages, turned=turned) for t in note_times]


def note_labels(frames: Sequence[FrameResult], times_s: Sequence[float],
                classes: Sequence[str], *, uncertain_below: float = 0.0,
                raw: Sequence[FrameResult] | None = None,
                outages: Sequence = ()) -> list[NoteLabel]:
    """`label_note` for each note time, from FrameResults in time order (`raw`: the same
    frames before a baseline correction, for the uncertainty test)."""
    times, probs = frame_arrays(frames, len(classes))
    top = None if raw is None else np.max(frame_arrays(raw, len(classes))[1], axis=1)
    return labels_for(times, probs, times_s, classes, uncertain_below=uncertain_below, top=top,
                      outages=outages, turned=turned_flags(frames))
