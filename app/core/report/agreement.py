"""Clinician-model agreement on the notes that carry a perceived emotion.

The model's emotion around a note (`model_label_around`) is the majority patient label over the
frames within ±`WINDOW_S` (1 s) of the note time: a clinician types a note a moment after (or
while) seeing an expression, and single frames flicker. A tie goes to the label seen closest to
the note time; no patient face in the window gives None.

`agreement(notes, frames, classes)` compares, for every note tagged with one of the model's
classes, the clinician's emotion with the model's: percent agreement, Cohen's kappa and a
confusion table (rows: clinician, columns: model). Notes tagged `other` (something the model
does not classify) and notes with no patient face in the window are counted but not compared.
Kappa is None when it is undefined: no pairs, or an expected agreement of 1 (both sides used one
and the same emotion for every note).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.analysis.results import FrameResult
from app.core.session.notes import Note

WINDOW_S = 1.0


def model_label_around(frames: Sequence[FrameResult], time_s: float,
                       window_s: float = WINDOW_S) -> str | None:
    """Majority patient label of the frames within ±window_s of time_s (frames in time order)."""
    lo = bisect.bisect_left(frames, time_s - window_s, key=lambda r: r.time_s)
    hi = bisect.bisect_right(frames, time_s + window_s, key=lambda r: r.time_s)
    counts: Counter[str] = Counter()
    nearest: dict[str, float] = {}
    for r in frames[lo:hi]:
        if r.label is not None:
            counts[r.label] += 1
            nearest[r.label] = min(nearest.get(r.label, float("inf")), abs(r.time_s - time_s))
    if not counts:
        return None
    return max(counts, key=lambda c: (counts[c], -nearest[c]))


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items; None when undefined."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} and {len(b)} ratings: both raters must rate the same items")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[c] * cb[c] for c in ca) / (n * n)
    if expected >= 1.0 - 1e-12:
        return None  # both used one and the same label throughout: chance explains everything
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True)
class Agreement:
    classes: tuple[str, ...]
    window_s: float
    pairs: tuple[tuple[Note, str], ...]  # compared notes with the model's label around them
    tagged: int  # notes with any perceived emotion (including 'other')
    other: int  # tagged 'other' (or a label the model lacks): not compared
    no_face: int  # tagged with a class, but no patient face within the window
    confusion: tuple[tuple[int, ...], ...]  # [clinician][model], in `classes` order
    percent: float | None  # 0-100, None without pairs
    kappa: float | None

    @property
    def n(self) -> int:
        return len(self.pairs)


def agreement(notes: Sequence[Note], frames: Sequence[FrameResult], classes: Sequence[str],
              window_s: float = WINDOW_S) -> Agreement:
    classes = tuple(classes)
    tagged = [n for n in notes if n.perceived]
    comparable = [n for n in tagged if n.perceived in classes]
    pairs = []
    for note in sorted(comparable, key=lambda n: n.time_s):
        label = model_label_around(frames, note.time_s, window_s)
        if label is not None:
            pairs.append((note, label))
    confusion = [[0] * len(classes) for _ in classes]
    for note, label in pairs:
        confusion[classes.index(note.perceived)][classes.index(label)] += 1
    clinician = [n.perceived for n, _ in pairs]
    model = [label for _, label in pairs]
    agree = sum(x == y for x, y in zip(clinician, model, strict=True))
    return Agreement(
        classes=classes, window_s=window_s, pairs=tuple(pairs), tagged=len(tagged),
        other=len(tagged) - len(comparable), no_face=len(comparable) - len(pairs),
        confusion=tuple(tuple(row) for row in confusion),
        percent=100.0 * agree / len(pairs) if pairs else None,
        kappa=cohen_kappa(clinician, model),
    )
