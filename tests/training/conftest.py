"""A tiny synthetic FER-style CSV: class-dependent brightness patterns, learnable in one epoch."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest


def write_fer_csv(path: Path, n_train: int = 160, n_test: int = 40, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["emotion", "pixels", "Usage"])
        for usage, n in (("Training", n_train), ("PublicTest", n_test)):
            for i in range(n):
                emotion = (0, 3, 4, 5, 6)[i % 5]  # angry rows must be filtered out by default
                img = rng.integers(0, 50, (48, 48)) + 35 * emotion
                w.writerow([emotion, " ".join(map(str, img.clip(0, 255).ravel())), usage])
    return path


def write_votes_csv(path: Path, n_rows: int, seed: int = 0) -> Path:
    """FER+-style votes for each data row: ten votes, mostly for the row's class position."""
    rng = np.random.default_rng(seed)
    cols = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
            "contempt", "unknown", "NF"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row", "Usage", *cols])
        for row in range(n_rows):
            if row % 7 == 6:
                w.writerow([row, "Training", *[""] * len(cols)])  # no reliable match
                continue
            v = rng.multinomial(10, [0.4, 0.3, 0.1, 0.1, 0.05, 0, 0.05, 0, 0, 0])
            w.writerow([row, "Training", *v])
    return path


@pytest.fixture
def tiny_csv(tmp_path: Path) -> Path:
    return write_fer_csv(tmp_path / "tiny.csv")
