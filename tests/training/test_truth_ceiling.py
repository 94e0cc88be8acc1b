"""benchmarks/truth_ceiling.py: the oracle's ceiling when two truths disagree, by hand."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy", reason="training extra not installed (pip install .[train])")
spec = importlib.util.spec_from_file_location(
    "truth_ceiling", Path(__file__).parents[2] / "benchmarks" / "truth_ceiling.py")
truth_ceiling = importlib.util.module_from_spec(spec)
spec.loader.exec_module(truth_ceiling)

# happy, sad, surprise, neutral agree once each; two "sad" images the raters call neutral.
ORIG = np.array([0, 1, 2, 3, 1, 1])
CONS = np.array([0, 1, 2, 3, 3, 3])


def test_the_worst_recall_splits_the_disagreements_between_the_truths():
    best = truth_ceiling.ceiling(ORIG, CONS)
    # sad recall (1 + 2(1-f))/3 against neutral recall (1 + 2f)/3: equal at f = 1/2
    assert best["worst_recall"] == pytest.approx(2 / 3)
    assert best["original"] == pytest.approx(5 / 6) and best["consensus"] == pytest.approx(5 / 6)


def test_following_one_truth_fully_costs_the_other():
    r = truth_ceiling.ceiling(ORIG, CONS, min_cons_acc=1.0)
    assert r["consensus"] == pytest.approx(1.0) and r["original"] == pytest.approx(4 / 6)
    r = truth_ceiling.ceiling(ORIG, CONS, min_cons_acc=0.5)
    assert r["original"] == pytest.approx(1.0)


def test_an_image_without_a_majority_follows_its_original_label():
    orig, cons = np.r_[ORIG, 0], np.r_[CONS, -1]
    assert truth_ceiling.ceiling(orig, cons, 0.5)["original"] == pytest.approx(1.0)


def test_every_recall_bound_holds_at_a_given_majority_accuracy():
    # sad (original) and neutral (majority) recalls >= 2/3 only when the disagreements split 1:1
    r = truth_ceiling.ceiling(ORIG, CONS, min_cons_acc=0.5, min_recall=2 / 3)
    assert r["original"] == pytest.approx(5 / 6) and r["worst_recall"] == pytest.approx(2 / 3)
    assert truth_ceiling.ceiling(ORIG, CONS, 0.5, min_recall=0.7)["original"] is None


def test_the_skill_the_targets_need():
    # right on a share s: original (6s - 2f)/6 and majority (4s + 2f)/6 both >= 0.75 need s >= 0.9
    assert truth_ceiling.skill_needed(ORIG, CONS, 0.75, 0.75, 0.5) == pytest.approx(0.9, abs=1e-4)
    assert np.isnan(truth_ceiling.skill_needed(ORIG, CONS, 0.9, 0.9, 0.5))


def test_a_single_rater_against_the_others_and_the_original_label():
    votes = np.zeros((2, 10), np.float32)
    votes[0, 1] = 10  # ten "happiness"; original happy
    votes[1, 0], votes[1, 3] = 6, 4  # six "neutral", four "sadness"; original sad
    # image 2: a neutral voter's others are 5 neutral / 4 sad (right); a sad voter's 6 / 3 (wrong)
    vs_others, vs_orig = truth_ceiling.rater_agreement(votes, np.array([0, 1]))
    assert vs_others == pytest.approx(16 / 20) and vs_orig == pytest.approx(14 / 20)
