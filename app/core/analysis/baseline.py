"""A per-patient baseline: re-weight probabilities so the patient's resting face reads neutral.

Faces differ at rest: a calm face with a down-turned mouth reads "sad" all interview long. The
clinician marks a stretch where the patient's face was at rest (or takes the first N seconds);
its mean probabilities are the patient's *baseline* `b`. Every frame is then corrected as a
per-class prior shift in log space:

    log p'_c = log p_c - log b_c + log t_c,   then renormalised (softmax)

where `t` is the target a resting face should read: `TARGET_NEUTRAL` (0.7) for neutral and the
rest shared equally by the other classes (0.1 each for four classes); a model without a
neutral class gets a uniform target. So the baseline stretch itself reads mostly neutral, and
an expression reads as its change from this patient's rest. The raw probabilities are kept:
the session stores the model's own output; the correction is applied when shown or exported.
(Measured by the project on real photographs of 70 people turned 45°, with a resting photo of
the same person as baseline: "calm read as sad" fell from 149 to 18 of 280, accuracy 79 → 83 %.)

A stretch that is not rest (the patient crying through the default first 10 s) would make that
expression read neutral all session. `rest_check` says so, with what it found: most frames with
one confident non-neutral label (`MOSTLY`, of the frames with the face; confident = the model's
own top probability at or above the uncertainty threshold), or the face missing from most
frames. The clinician may still keep the stretch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.core.analysis.results import FrameResult
from app.core.errors import CoreError

TARGET_NEUTRAL = 0.7
MOSTLY = 0.5  # share of a stretch's frames past which it does not look like rest
FLOOR = 1e-4  # a class the model never gave at rest still gets a finite correction
MIN_FRAMES = 5


class BaselineError(CoreError):
    """No usable baseline (e.g. no patient face in the stretch); one line for the user."""


def target_for(classes: Sequence[str]) -> tuple[float, ...]:
    k = len(classes)
    if "neutral" not in classes or k < 2:
        return tuple([1.0 / k] * k)
    rest = (1.0 - TARGET_NEUTRAL) / (k - 1)
    return tuple(TARGET_NEUTRAL if c == "neutral" else rest for c in classes)


@dataclass(frozen=True)
class Baseline:
    start_s: float
    end_s: float
    probs: tuple[float, ...]  # the patient's mean probabilities over the stretch
    target: tuple[float, ...]  # what the stretch should read as
    frames: int  # frames with the patient's face in the stretch

    @property
    def _shift(self) -> np.ndarray:
        return np.log(np.asarray(self.target)) - np.log(np.maximum(self.probs, FLOOR))

    def correct(self, probs: np.ndarray) -> np.ndarray:
        """Corrected probabilities of [n, k] (or [k]) raw ones; NaN rows stay NaN."""
        p = np.asarray(probs, np.float64)
        with np.errstate(invalid="ignore"):  # NaN rows (no face) pass through as NaN
            logits = np.log(np.maximum(p, FLOOR)) + self._shift
            logits -= np.max(logits, axis=-1, keepdims=True)
            e = np.exp(logits)
            return e / np.sum(e, axis=-1, keepdims=True)

    def apply(self, frames: Sequence[FrameResult], classes: Sequence[str]) -> list[FrameResult]:
        """The frames with the patient's probabilities and label corrected (other faces as
        they were)."""
        out = []
        for r in frames:
            if r.probs is None:
                out.append(r)
                continue
            probs = tuple(float(x) for x in self.correct(np.asarray(r.probs)))
            label = classes[int(np.argmax(probs))]
            faces = tuple(replace(f, probs=probs, label=label) if f.is_patient else f
                          for f in r.faces)
            out.append(replace(r, faces=faces, label=label, probs=probs))
        return out

    def describe(self, classes: Sequence[str]) -> str:
        rest = ", ".join(f"{c} {p:.0%}" for c, p in zip(classes, self.probs, strict=True))
        return f"{self.start_s:.1f}–{self.end_s:.1f} s, {self.frames} frames (at rest: {rest})"

    def to_json(self) -> str:
        return json.dumps({"start_s": self.start_s, "end_s": self.end_s, "probs": self.probs,
                           "target": self.target, "frames": self.frames})

    @classmethod
    def from_json(cls, text: str | None) -> Baseline | None:
        if not text:
            return None
        d = json.loads(text)
        return cls(float(d["start_s"]), float(d["end_s"]), tuple(d["probs"]),
                   tuple(d["target"]), int(d["frames"]))


def baseline_from(frames: Sequence[FrameResult], classes: Sequence[str], start_s: float,
                  end_s: float) -> Baseline:
    """The baseline of the patient's face between start_s and end_s (raw probabilities)."""
    rows = [r.probs for r in frames if r.probs is not None and start_s <= r.time_s <= end_s]
    return baseline_from_rows(rows, classes, start_s, end_s)


def baseline_from_arrays(times: np.ndarray, probs: np.ndarray, classes: Sequence[str],
                         start_s: float, end_s: float) -> Baseline:
    """The same from arrays (times [n], probs [n, k] with NaN rows where no face)."""
    keep = (times >= start_s) & (times <= end_s) & ~np.isnan(probs[:, 0])
    return baseline_from_rows(list(probs[keep]), classes, start_s, end_s)


def baseline_from_rows(rows, classes: Sequence[str], start_s: float,
                       end_s: float) -> Baseline:
    if not end_s > start_s >= 0:
        raise BaselineError(f"baseline stretch {start_s:g}–{end_s:g} s: the end must come "
                            "after the start, both >= 0")
    if len(rows) < MIN_FRAMES:
        raise BaselineError(f"baseline stretch {start_s:g}–{end_s:g} s has {len(rows)} frames "
                            f"with the patient's face; at least {MIN_FRAMES} are needed")
    mean = np.mean(np.asarray(rows, np.float64), axis=0)
    return Baseline(float(start_s), float(end_s), tuple(float(x) for x in mean / mean.sum()),
                    target_for(classes), len(rows))


def parse_stretch(text: str) -> tuple[float, float]:
    """`START:END` in seconds (e.g. `0:20`, `12.5:30`); ValueError otherwise."""
    start, sep, end = text.partition(":")
    if not sep:
        raise ValueError(f"{text!r} is not START:END in seconds (e.g. 0:20)")
    a, b = float(start), float(end)
    if not (np.isfinite(a) and np.isfinite(b)) or a < 0 or b <= a:
        raise ValueError(f"{text!r}: need 0 <= START < END, in seconds")
    return a, b


def rest_check(times: np.ndarray, probs: np.ndarray, classes: Sequence[str], start_s: float,
               end_s: float, confident: float = 0.5) -> str | None:
    """Why the stretch does not look like a resting face, in one sentence; None if it does.

    `times` [n] and the model's own `probs` [n, k] of the analysed frames (NaN rows: no face);
    `confident`: the top probability from which a label counts as confident (the model's
    uncertainty threshold)."""
    times, probs = np.asarray(times, float), np.asarray(probs, float).reshape(len(times), -1)
    inside = (times >= start_s) & (times <= end_s)
    n = int(inside.sum())
    if n == 0:
        return None  # nothing analysed there: baseline_from_rows says so
    p = probs[inside]
    face = ~np.isnan(p[:, 0])
    where = f"The stretch {start_s:.1f}–{end_s:.1f} s does not look like rest"
    if (n - face.sum()) / n > MOSTLY:
        return f"{where}: no face in {(n - face.sum()) / n:.0%} of its {n} frames."
    p = p[face]
    labels = np.argmax(p, axis=1)
    sure = np.max(p, axis=1) >= max(confident, 1e-9)
    counts = [(int(np.sum(sure & (labels == i))), c) for i, c in enumerate(classes)
              if c != "neutral"]
    most, label = max(counts, default=(0, ""))
    if most / len(p) > MOSTLY:
        return (f"{where}: {most / len(p):.0%} of its frames with the face read {label} with "
                f"confidence (top probability {confident:.0%} or more). As a baseline, {label} "
                "would then read neutral for the whole session.")
    return None


def rest_check_frames(frames: Sequence[FrameResult], classes: Sequence[str], start_s: float,
                      end_s: float, confident: float = 0.5) -> str | None:
    """`rest_check` of stored frames (the model's own probabilities)."""
    k = len(classes)
    times = np.array([r.time_s for r in frames], float)
    probs = np.array([r.probs if r.probs is not None else [np.nan] * k for r in frames],
                     float).reshape(len(frames), k)
    return rest_check(times, probs, classes, start_s, end_s, confident)
