"""FER+ votes: loading, alignment by data row, majority labels, soft targets, both truths."""

import numpy as np
import pytest

from training.data import FER_CLASSES, DataError, Dataset, load_fer_csv, select_classes
from training.targets import Task, accuracy
from training.votes import (
    adopt_majority,
    attach_votes,
    load_votes,
    majority_labels,
    vote_distribution,
)

from .conftest import write_fer_csv, write_votes_csv

FOUR = ("happy", "sad", "surprise", "neutral")


def _ds(votes, labels=None):
    votes = np.asarray(votes, np.float32)
    n = len(votes)
    labels = np.zeros(n, np.int64) if labels is None else np.asarray(labels)
    return Dataset(np.zeros((n, 48, 48, 1), np.uint8), labels, FER_CLASSES,
                   np.arange(n), votes)


def test_majority_needs_half_the_votes_and_one_of_the_classes():
    #        neu hap sur sad ang dis fea con unk NF
    ds = _ds([[6, 1, 0, 3, 0, 0, 0, 0, 0, 0],   # neutral 6/10
              [4, 0, 0, 4, 0, 0, 0, 0, 2, 0],   # no class with half
              [0, 0, 0, 1, 9, 0, 0, 0, 0, 0],   # anger: not one of the four
              [0, 5, 0, 0, 0, 0, 0, 0, 0, 5],   # happy 5/10 (ties go to the first)
              [np.nan] * 10])                   # no reliable match
    assert majority_labels(ds, FOUR).tolist() == [3, -1, -1, 0, -1]


def test_vote_distribution_is_over_the_given_classes():
    ds = _ds([[6, 1, 0, 3, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 9, 0, 0, 1, 0, 0]])
    d = vote_distribution(ds, FOUR)
    assert np.allclose(d[0], [0.1, 0.3, 0.0, 0.6])
    assert np.isnan(d[1]).all()  # no votes for these classes


def test_targets_mix_label_and_votes_and_keep_the_label_without_votes():
    ds = _ds([[10, 0, 0, 0, 0, 0, 0, 0, 0, 0], [np.nan] * 10], labels=[3, 4])  # happy, sad
    task = Task(FER_CLASSES, FOUR, vote_weight=0.25)
    y = task.targets(ds)
    assert np.allclose(y.sum(1), 1)
    assert y[0, FER_CLASSES.index("happy")] == pytest.approx(0.75)
    assert y[0, FER_CLASSES.index("neutral")] == pytest.approx(0.25)
    assert y[1, FER_CLASSES.index("sad")] == 1.0


def test_turned_faces_take_the_votes_alone():
    import dataclasses

    calm = [10, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # all ten raters: neutral
    ds = _ds([calm, calm, calm, [np.nan] * 10], labels=[4, 4, 4, 4])  # original label: sad
    #                         frontal, turned, not measured, turned without votes
    ds = dataclasses.replace(ds, turned=np.array([0.05, 0.4, np.nan, 0.5], np.float32))
    neutral, sad = FER_CLASSES.index("neutral"), FER_CLASSES.index("sad")
    y = Task(FER_CLASSES, FOUR, vote_weight=0.5, turned_votes=0.3).targets(ds)
    assert y[0, neutral] == pytest.approx(0.5) and y[0, sad] == pytest.approx(0.5)
    assert y[1, neutral] == 1.0 and y[1, sad] == 0.0  # the raters alone
    assert y[2, neutral] == pytest.approx(0.5)  # no pose known: the usual mix
    assert y[3, sad] == 1.0  # no votes: the label
    off = Task(FER_CLASSES, FOUR, vote_weight=0.5).targets(ds)
    assert off[1, neutral] == pytest.approx(0.5)
    assert np.allclose(ds.subset(np.array([1])).turned, [0.4])


def test_other_classes_are_kept_only_with_a_majority_among_the_classes():
    angry, fear, sad = (FER_CLASSES.index(c) for c in ("angry", "fear", "sad"))
    #        neu hap sur sad ang dis fea con unk NF
    ds = _ds([[7, 0, 0, 1, 2, 0, 0, 0, 0, 0],   # angry face, raters: neutral -> kept as neutral
              [0, 0, 4, 0, 0, 0, 6, 0, 0, 0],   # fear, raters: fear -> still outside
              [6, 0, 0, 4, 0, 0, 0, 0, 0, 0],   # sad stays sad: the original label is kept
              [np.nan] * 10],                   # fear without votes -> outside
             labels=[angry, fear, sad, fear])
    adopted, n = adopt_majority(ds, FOUR)
    assert n == 1
    assert [adopted.classes[k] for k in adopted.labels] == ["neutral", "fear", "sad", "fear"]
    kept = select_classes(adopted, FOUR)
    assert [kept.classes[k] for k in kept.labels] == ["neutral", "sad"]
    assert kept.rows.tolist() == [0, 2]  # votes and rows travel with the images


def test_collapse_and_truths_judge_the_same_images_whatever_the_net_learns():
    ds = _ds([[10, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 10, 0, 0, 0, 0, 0]], labels=[0, 6])
    task = Task(FER_CLASSES, FOUR)  # rows: angry labelled, neutral voted; neutral/anger
    truths = task.truths(ds)
    assert truths["original"].tolist() == [-1, 3]
    assert truths["consensus"].tolist() == [3, -1]
    p7 = np.array([[0.5, 0, 0, 0.1, 0.1, 0.1, 0.2], [0.9, 0, 0, 0, 0, 0, 0.1]])
    p4 = task.collapse(p7)
    assert np.allclose(p4.sum(1), 1) and p4.argmax(1).tolist() == [3, 3]
    assert accuracy(truths["original"], p4) == 1.0
    assert np.isnan(accuracy(np.array([-1, -1]), p4))


def test_votes_align_with_data_rows_even_when_rows_are_dropped(tmp_path):
    csv_path = write_fer_csv(tmp_path / "t.csv", n_train=20, n_test=5)
    votes = load_votes(write_votes_csv(tmp_path / "v.csv", 25))
    splits = load_fer_csv(csv_path, FOUR)  # angry rows (every 5th) dropped
    tr = attach_votes(splits["Training"], votes)
    assert tr.rows.tolist() == [r for r in range(20) if r % 5 != 0]
    assert np.array_equal(tr.votes[1], votes[2], equal_nan=True)
    te = attach_votes(splits["PublicTest"], votes)
    assert te.rows.min() >= 20  # data rows count on across splits
    sub = select_classes(tr, ("sad", "happy"))
    assert sub.classes == ("sad", "happy") and set(sub.labels.tolist()) == {0, 1}
    assert np.array_equal(sub.votes, tr.votes[np.isin(tr.labels, [0, 1])], equal_nan=True)


@pytest.mark.parametrize("body, message", [
    ("row,Usage,neutral\n0,Training,3\n", "missing column"),
    ("row,Usage,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n"
     "x,Training,1,1,1,1,1,1,1,1,1,1\n", "malformed vote row"),
])
def test_bad_votes_file_is_a_one_line_error(tmp_path, body, message):
    p = tmp_path / "v.csv"
    p.write_text(body)
    with pytest.raises(DataError, match=message):
        load_votes(p)
    with pytest.raises(DataError, match="not found"):
        load_votes(tmp_path / "absent.csv")
