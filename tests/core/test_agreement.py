"""Clinician-model agreement: Cohen's kappa on hand-computed examples, the ±1 s window."""

from __future__ import annotations

import pytest

from app.core.analysis.results import FrameResult
from app.core.report.agreement import agreement, cohen_kappa, model_label_around
from app.core.session.notes import Note

CLASSES = ("happy", "sad", "surprise", "neutral")
P = (0.25, 0.25, 0.25, 0.25)


def frames_from(labels: list[str | None], fps: float = 10.0) -> list[FrameResult]:
    return [FrameResult(i, i / fps, (), lab, P if lab else None) for i, lab in enumerate(labels)]


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


def test_model_label_is_the_majority_within_one_second():
    # 10 fps: frames 0..30 = 0.0..3.0 s
    labels = ["sad"] * 10 + ["happy"] * 6 + [None] * 4 + ["neutral"] * 11
    frames = frames_from(labels)
    # sad 0.0-0.9 s, happy 1.0-1.5, no face 1.6-1.9, neutral 2.0-3.0
    assert model_label_around(frames, 1.25) == "sad"  # 0.25-2.25 s: 7 sad, 6 happy, 3 neutral
    assert model_label_around(frames, 1.45) == "happy"  # 0.45-2.45 s: 5 sad, 6 happy, 5 neutral
    assert model_label_around(frames, 1.75) == "neutral"  # 0.75-2.75 s: 2, 6, 8
    assert model_label_around(frames, 2.9) == "neutral"
    assert model_label_around(frames, 10.0) is None  # far after the last frame
    assert model_label_around(frames_from([None] * 30), 1.5) is None
    # a tie goes to the label seen nearest the note
    tie = frames_from(["sad"] * 5 + ["happy"] * 5)  # 0.0-0.9 s
    assert model_label_around(tie, 0.8) == "happy" and model_label_around(tie, 0.1) == "sad"


def test_agreement_counts_confusion_and_kappa():
    # happy 0.0-3.9 s, neutral 4.0-7.9, no face 8.0-10.4, neutral 10.5-12.9
    labels = ["happy"] * 40 + ["neutral"] * 40 + [None] * 25 + ["neutral"] * 25
    frames = frames_from(labels)
    notes = [
        Note(1.0, "smiles", "happy"),  # model happy: agree
        Note(2.0, "seems low", "sad"),  # model happy: disagree
        Note(3.0, "?", "other"),  # not compared
        Note(4.0, "untagged"),  # not counted at all
        Note(9.2, "startled", "surprise"),  # 8.2-10.2 s: no face
        Note(12.0, "calm", "neutral"),  # agree
    ]
    a = agreement(notes, frames, CLASSES)
    assert (a.tagged, a.other, a.no_face, a.n) == (5, 1, 1, 3)
    assert [label for _, label in a.pairs] == ["happy", "happy", "neutral"]
    assert a.percent == pytest.approx(200 / 3)
    assert a.kappa == pytest.approx(0.5)  # po 2/3; pe (1*2 + 1*1)/9 = 1/3
    assert a.confusion == ((1, 0, 0, 0), (1, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 1))


def test_agreement_without_tagged_notes():
    a = agreement([Note(1.0, "plain")], frames_from(["happy"] * 20), CLASSES)
    assert (a.tagged, a.n, a.percent, a.kappa) == (0, 0, None, None)
