"""Clinician-model agreement: Cohen's kappa on hand-computed examples, on the notes' labels."""

from __future__ import annotations

import pytest

from app.core.analysis.results import FrameResult
from app.core.report.agreement import agreement, cohen_kappa
from app.core.report.note_labels import note_labels
from app.core.session.notes import Note

CLASSES = ("happy", "sad", "surprise", "neutral")


def probs(label: str) -> tuple[float, ...]:
    return tuple(0.7 if c == label else 0.1 for c in CLASSES)


def frames_from(labels: list[str | None], fps: float = 10.0) -> list[FrameResult]:
    return [FrameResult(i, i / fps, (), lab, probs(lab) if lab else None)
            for i, lab in enumerate(labels)]


def labelled(notes, frames):
    return note_labels(frames, [n.time_s for n in notes], CLASSES)


def test_kappa_is_flagged_with_few_notes_per_emotion():
    frames = frames_from(["happy"] * 40 + ["sad"] * 40)
    notes = [Note(0.5 + 0.1 * i, "", "happy") for i in range(6)] + \
            [Note(4.5 + 0.1 * i, "", "sad") for i in range(2)]
    a = agreement(notes, labelled(notes, frames), CLASSES)
    assert a.kappa == pytest.approx(1.0)
    assert a.thin_classes == {"sad": 2} and not a.reliable
    notes += [Note(5.0 + 0.1 * i, "", "sad") for i in range(3)]
    assert agreement(notes, labelled(notes, frames), CLASSES).reliable


def test_kappa_hand_computed():
    # 2x2 textbook table: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    # po = 35/50 = 0.7; pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.2 / 0.5 = 0.4
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    # 3 classes: po = 4/6; pe = (3*2 + 2*2 + 1*2)/36 = 1/3; kappa = (1/3)/(2/3) = 0.5
    assert cohen_kappa(list("hhhssn"), list("hhssnn")) == pytest.approx(0.5)
    assert cohen_kappa(list("xyxy"), list("xyxy")) == pytest.approx(1.0)
    assert cohen_kappa(list("xy"), list("yx")) == pytest.approx(-1.0)  # po 0, pe 0.5


def test_kappa_undefined_cases():
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["happy"] * 4, ["happy"] * 4) is None  # expected agreement is 1
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


def test_agreement_counts_confusion_and_kappa():
    # happy 0.0-3.9 s, neutral 4.0-7.9, no face 8.0-10.4, neutral 10.5-12.9
    labels = ["happy"] * 40 + ["neutral"] * 40 + [None] * 25 + ["neutral"] * 25
    frames = frames_from(labels)
    notes = [
        Note(1.0, "smiles", "happy"),  # model happy: agree
        Note(2.0, "seems low", "sad"),  # model happy: disagree
        Note(3.0, "?", "other"),  # not compared
        Note(4.0, "untagged"),  # not counted at all
        Note(9.2, "startled", "surprise"),  # 8.2-9.2 s: no face
        Note(12.0, "calm", "neutral"),  # agree
    ]
    a = agreement(notes, labelled(notes, frames), CLASSES)
    assert (a.tagged, a.other, a.no_face, a.n) == (5, 1, 1, 3)
    assert [label for _, label in a.pairs] == ["happy", "happy", "neutral"]
    assert a.percent == pytest.approx(200 / 3)
    assert a.kappa == pytest.approx(0.5)  # po 2/3; pe (1*2 + 1*1)/9 = 1/3
    assert a.confusion == ((1, 0, 0, 0), (1, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 1))


def test_agreement_without_tagged_notes():
    notes = [Note(1.0, "plain")]
    a = agreement(notes, labelled(notes, frames_from(["happy"] * 20)), CLASSES)
    assert (a.tagged, a.n, a.percent, a.kappa) == (0, 0, None, None)
