"""Clinician-model agreement on the notes that carry a perceived emotion.

The model's label of each note is the one definition of note_labels.py (the majority over the
second up to the note), the same the app, the CSVs and the PDF show, so kappa is computed on
the labels the clinician saw. `agreement(notes, labels, classes)` compares, for every note
tagged with one of the model's classes whose label is an emotion, the clinician's emotion with
the model's: percent agreement, Cohen's kappa and a confusion table (rows: clinician, columns:
model). Notes tagged `other` (something the model does not classify) and notes whose model
label is not an emotion (no face, turned away, uncertain, after the last frame) are counted, not
compared.
Kappa is None when it is undefined: no pairs, or an expected agreement of 1 (both sides used one
and the same emotion for every note). `reliable` says whether there are enough notes to read
kappa: at least `MIN_PER_CLASS` compared notes for every emotion the clinician tagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.report.note_labels import WINDOW_S, NoteLabel
from app.core.session.notes import Note

MIN_PER_CLASS = 5  # with fewer, one note more or less moves kappa a lot


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
    pairs: tuple[tuple[Note, str], ...]  # compared notes with the model's label
    tagged: int  # notes with any perceived emotion (including 'other')
    other: int  # tagged 'other' (or a label the model lacks): not compared
    no_face: int  # tagged with a class, but the model's label is not an emotion
    uncertain: int  # ... of which the model was uncertain
    confusion: tuple[tuple[int, ...], ...]  # [clinician][model], in `classes` order
    percent: float | None  # 0-100, None without pairs
    kappa: float | None
    turned_away: int = 0  # ... of which the patient was turned away (not read)

    @property
    def n(self) -> int:
        return len(self.pairs)

    @property
    def thin_classes(self) -> dict[str, int]:
        """Emotions the clinician tagged in fewer than MIN_PER_CLASS compared notes."""
        counts = Counter(n.perceived for n, _ in self.pairs)
        return {c: counts[c] for c in self.classes if 0 < counts[c] < MIN_PER_CLASS}

    @property
    def reliable(self) -> bool:
        return self.kappa is not None and not self.thin_classes


def agreement(notes: Sequence[Note], labels: Sequence[NoteLabel],
              classes: Sequence[str]) -> Agreement:
    """`labels[i]` is the model's label of `notes[i]` (note_labels.py)."""
    classes = tuple(classes)
    if len(labels) != len(notes):
        raise ValueError(f"{len(notes)} notes but {len(labels)} labels")
    tagged = [(n, lab) for n, lab in zip(notes, labels, strict=True) if n.perceived]
    comparable = [(n, lab) for n, lab in tagged if n.perceived in classes]
    pairs = sorted(((n, lab.label) for n, lab in comparable if lab.status == "ok"),
                   key=lambda p: p[0].time_s)
    confusion = [[0] * len(classes) for _ in classes]
    for note, label in pairs:
        confusion[classes.index(note.perceived)][classes.index(label)] += 1
    clinician = [n.perceived for n, _ in pairs]
    model = [label for _, label in pairs]
    agree = sum(x == y for x, y in zip(clinician, model, strict=True))
    return Agreement(
        classes=classes, window_s=WINDOW_S, pairs=tuple(pairs), tagged=len(tagged),
        other=len(tagged) - len(comparable), no_face=len(comparable) - len(pairs),
        uncertain=sum(lab.status == "uncertain" for _, lab in comparable),
        confusion=tuple(tuple(row) for row in confusion),
        percent=100.0 * agree / len(pairs) if pairs else None,
        kappa=cohen_kappa(clinician, model),
        turned_away=sum(lab.status == "turned_away" for _, lab in comparable),
    )
