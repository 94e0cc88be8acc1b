"""FER-2013 loading: the Kaggle CSV (`emotion,pixels,Usage`, plain or .gz) into uint8 arrays.

Images stay uint8 `[N, 48, 48, 1]` in memory (a quarter of float32); scaling lives in the model.
Every malformed input raises `DataError` with a one-line message the CLI prints as is.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FER_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
DEFAULT_CLASSES = ("happy", "sad", "surprise", "neutral")
SIDE = 48
REQUIRED_COLUMNS = ("emotion", "pixels", "Usage")


class DataError(Exception):
    """Bad training input; the message is one line meant for the user."""


@dataclass(frozen=True)
class Dataset:
    images: np.ndarray  # uint8 [N, 48, 48, 1]
    labels: np.ndarray  # int64 [N], index into `classes`
    classes: tuple[str, ...]
    rows: np.ndarray | None = None  # int64 [N], 0-based data row of the CSV (aligns FER+ votes)
    votes: np.ndarray | None = None  # float32 [N, 10] FER+ vote counts; NaN rows: no votes
    teacher: np.ndarray | None = None  # float32 [N, K] a teacher model's probabilities (distill)
    turned: np.ndarray | None = None  # float32 [N] |nose offset| (pose.py); NaN: no face found

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, idx: np.ndarray) -> Dataset:
        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[idx]

        return Dataset(self.images[idx], self.labels[idx], self.classes, pick(self.rows),
                       pick(self.votes), pick(self.teacher), pick(self.turned))

    def counts(self) -> dict[str, int]:
        return {c: int((self.labels == i).sum()) for i, c in enumerate(self.classes)}


def parse_classes(spec: str) -> tuple[str, ...]:
    """`happy,sad` -> ('happy', 'sad'); `all` -> the seven FER classes, in FER order."""
    if spec.strip().lower() == "all":
        return FER_CLASSES
    names = tuple(s.strip().lower() for s in spec.split(",") if s.strip())
    if not names:
        raise DataError("--classes is empty: give names such as happy,sad,neutral or 'all'")
    unknown = [n for n in names if n not in FER_CLASSES]
    if unknown:
        raise DataError(
            f"unknown class {', '.join(unknown)!s}: choose from {', '.join(FER_CLASSES)} or 'all'"
        )
    if len(set(names)) != len(names):
        raise DataError(f"--classes names a class twice: {spec}")
    if len(names) < 2:
        raise DataError("--classes needs at least two classes")
    return names


def _open_text(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise DataError(f"dataset not found: {path}")
    if path.is_dir():
        raise DataError(f"dataset path is a folder, not a CSV file: {path}")
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    raw = gzip.open(path, "rb") if gz else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


def load_fer_csv(
    path: str | Path, classes: tuple[str, ...] = DEFAULT_CLASSES, extra_ok: bool = False
) -> dict[str, Dataset]:
    """Read the CSV and return one Dataset per `Usage` value (Training, PublicTest, ...).

    Labels are remapped to positions in `classes`; rows of other classes are dropped. With
    `extra_ok`, `classes` may be a wish list: those without Training rows are left out (the
    others keep their order) instead of being an error.
    """
    path = Path(path)
    keep = {FER_CLASSES.index(c): i for i, c in enumerate(classes)}
    images: dict[str, list[np.ndarray]] = {}
    labels: dict[str, list[int]] = {}
    rows: dict[str, list[int]] = {}
    try:
        with _open_text(path) as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: file is empty")
            header = [h.strip() for h in header]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise DataError(
                    f"{path}: missing column(s) {', '.join(missing)}; "
                    "expected the FER-2013 header emotion,pixels,Usage"
                )
            ie, ip, iu = (header.index(c) for c in REQUIRED_COLUMNS)
            for lineno, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) < len(header):
                    raise DataError(
                        f"{path}:{lineno}: expected {len(header)} fields, got {len(row)}"
                    )
                try:
                    emotion = int(row[ie])
                except ValueError:
                    raise DataError(
                        f"{path}:{lineno}: emotion {row[ie]!r} is not an integer 0-6"
                    ) from None
                if not 0 <= emotion < len(FER_CLASSES):
                    raise DataError(f"{path}:{lineno}: emotion {emotion} is outside 0-6")
                if emotion not in keep:
                    continue
                try:
                    pix = np.array(row[ip].split(), dtype=np.int32)
                except ValueError:
                    raise DataError(f"{path}:{lineno}: pixels are not all integers") from None
                if pix.size != SIDE * SIDE:
                    raise DataError(
                        f"{path}:{lineno}: {pix.size} pixels, expected {SIDE * SIDE} (48x48)"
                    )
                if pix.min() < 0 or pix.max() > 255:
                    raise DataError(f"{path}:{lineno}: pixel values outside 0-255")
                usage = row[iu].strip()
                images.setdefault(usage, []).append(pix.astype(np.uint8).reshape(SIDE, SIDE, 1))
                labels.setdefault(usage, []).append(keep[emotion])
                rows.setdefault(usage, []).append(lineno - 2)
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})") from None

    out = {
        usage: Dataset(np.stack(images[usage]), np.asarray(labels[usage], np.int64), classes,
                       np.asarray(rows[usage], np.int64))
        for usage in images
    }
    if "Training" not in out:
        raise DataError(f"{path}: no Training rows for classes {','.join(classes)}")
    empty = [c for c, n in out["Training"].counts().items() if n == 0]
    if empty and extra_ok:
        kept = tuple(c for c in classes if c not in empty)
        return {usage: select_classes(ds, kept) for usage, ds in out.items()}
    if empty:
        raise DataError(f"{path}: class(es) {', '.join(empty)} have no Training rows")
    return out


def select_classes(ds: Dataset, classes: tuple[str, ...]) -> Dataset:
    """The rows of `ds` whose class is in `classes`, labels renumbered in that order."""
    remap = np.full(len(ds.classes), -1, np.int64)
    for i, c in enumerate(classes):
        remap[ds.classes.index(c)] = i
    keep = np.flatnonzero(remap[ds.labels] >= 0)
    sub = ds.subset(keep)
    return dataclasses.replace(sub, labels=remap[sub.labels], classes=classes)


def stratified_split(
    labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) with each class split in the same proportion, reproducibly."""
    rng = np.random.default_rng(seed)
    train_idx, val_idx = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        n_val = max(1, int(round(len(idx) * val_fraction)))
        val_idx.append(idx[:n_val])
        train_idx.append(idx[n_val:])
    tr, va = np.concatenate(train_idx), np.concatenate(val_idx)
    rng.shuffle(tr)
    rng.shuffle(va)
    return tr, va


def split_of(splits: dict[str, Dataset], name: str, seed: int = 42,
             val_fraction: float = 0.1) -> Dataset:
    """`splits[name]`, or for "val" fer-train's validation split: the stratified share of
    *Training* (every FER class it has) that fer-train holds out with this seed and fraction."""
    if name != "val":
        if name not in splits:
            raise DataError(f"the data has no {name} rows")
        return splits[name]
    full = splits["Training"]
    return full.subset(stratified_split(full.labels, val_fraction, seed)[1])


def class_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Balanced weights n / (k * count_c), so each class carries the same total weight."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    return (len(labels) / (n_classes * np.maximum(counts, 1))).astype(np.float32)
