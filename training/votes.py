"""FER+ votes: ten raters per FER-2013 image (Barsoum et al. 2016, MIT), the second truth.

`../shared/data/ferplus/fer2013_ferplus_votes.csv.gz` has one row per data row of the FER-2013
CSV (`row` = 0-based data row): `row,Usage,neutral,happiness,surprise,sadness,anger,disgust,
fear,contempt,unknown,NF`; empty vote cells mean no reliable match. Here they become

- soft targets: the vote distribution over the training classes, mixed with the original label;
- the raters' majority label: the class with at least half of an image's votes, used as the
  second truth in every evaluation (images without such a majority among our classes are left
  out of that truth, as in the FER+ paper's majority scheme).
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
from pathlib import Path

import numpy as np

from training.data import DataError, Dataset

VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                "contempt", "unknown", "NF")
# FER+ column -> FER-2013 class name (contempt, unknown and not-a-face have no FER class).
TO_FER = {"neutral": "neutral", "happiness": "happy", "surprise": "surprise", "sadness": "sad",
          "anger": "angry", "disgust": "disgust", "fear": "fear"}


def load_votes(path: str | Path) -> np.ndarray:
    """float32 [rows, 10] vote counts indexed by data row; NaN where FER+ has no match."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"FER+ votes not found: {path}")
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in ("row", *VOTE_COLUMNS) if c not in header]
            if missing:
                raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
            ir = header.index("row")
            ic = [header.index(c) for c in VOTE_COLUMNS]
            table: dict[int, list[float]] = {}
            for lineno, rec in enumerate(reader, start=2):
                if not rec:
                    continue
                try:
                    row = int(rec[ir])
                    table[row] = [float(rec[i]) if rec[i].strip() else np.nan for i in ic]
                except (ValueError, IndexError):
                    raise DataError(f"{path}:{lineno}: malformed vote row") from None
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})") from None
    if not table:
        raise DataError(f"{path}: no vote rows")
    out = np.full((max(table) + 1, len(VOTE_COLUMNS)), np.nan, np.float32)
    for row, v in table.items():
        out[row] = v
    return out


def attach_votes(ds: Dataset, table: np.ndarray) -> Dataset:
    """The same Dataset with each image's vote counts (NaN beyond the table or unmatched)."""
    if ds.rows is None:
        raise DataError("this data set has no row numbers to align FER+ votes with")
    votes = np.full((len(ds), len(VOTE_COLUMNS)), np.nan, np.float32)
    inside = ds.rows < len(table)
    votes[inside] = table[ds.rows[inside]]
    return dataclasses.replace(ds, votes=votes)


def _class_columns(classes: tuple[str, ...]) -> list[int]:
    fer_to_col = {fer: VOTE_COLUMNS.index(col) for col, fer in TO_FER.items()}
    return [fer_to_col[c] for c in classes]


def vote_distribution(ds: Dataset, classes: tuple[str, ...]) -> np.ndarray:
    """float32 [N, K]: share of each of `classes` among the votes for those classes.

    NaN rows where there are no votes or none for these classes.
    """
    if ds.votes is None:
        return np.full((len(ds), len(classes)), np.nan, np.float32)
    v = ds.votes[:, _class_columns(classes)]
    total = v.sum(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = np.where(total > 0, v / total, np.nan)
    return dist.astype(np.float32)


def majority_labels(ds: Dataset, classes: tuple[str, ...]) -> np.ndarray:
    """int64 [N]: index into `classes` of the raters' majority, -1 where there is none.

    Majority = the column with the most votes, holding at least half of all ten columns' votes
    (unknown and not-a-face included), and one of `classes`.
    """
    out = np.full(len(ds), -1, np.int64)
    if ds.votes is None:
        return out
    v = np.nan_to_num(ds.votes, nan=0.0)
    total = v.sum(1)
    top = v.argmax(1)
    ok = (total > 0) & (v.max(1) >= 0.5 * total)
    for k, col in enumerate(_class_columns(classes)):
        out[ok & (top == col)] = k
    return out


def adopt_majority(ds: Dataset, classes: tuple[str, ...]) -> tuple[Dataset, int]:
    """`ds` with every image whose original label is not one of `classes` but whose raters'
    majority is relabelled with that majority; and how many were. Such images (an "angry" or
    "fear" face most raters call neutral or sad) are otherwise dropped from four-class training
    although the consensus truth judges the model on them."""
    inside = np.isin(ds.labels, [ds.classes.index(c) for c in classes])
    majority = majority_labels(ds, classes)
    adopt = ~inside & (majority >= 0)
    labels = ds.labels.copy()
    labels[adopt] = np.array([ds.classes.index(c) for c in classes])[majority[adopt]]
    return dataclasses.replace(ds, labels=labels), int(adopt.sum())
