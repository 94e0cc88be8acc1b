"""What the net learns and how it is judged: training classes, soft targets, the two truths.

The net may learn more classes than the app shows (by default all seven FER classes, so angry
and fear shape the sad boundary); the exported graph keeps only the output classes and
renormalises them (a softmax over their logits). Targets mix the original one-hot label with
the FER+ vote distribution; evaluation uses both truths on the output classes:

- original: the FER-2013 label, on images whose label is an output class;
- consensus: the FER+ raters' majority (votes.majority_labels), on images that have one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.data import Dataset
from training.votes import majority_labels, vote_distribution


@dataclass(frozen=True)
class Task:
    train_classes: tuple[str, ...]  # the net's softmax
    classes: tuple[str, ...]  # what the exported model outputs (a subset, in this order)
    vote_weight: float = 0.0  # share of the FER+ vote distribution in the target
    teacher_weight: float = 0.0  # share of a teacher model's probabilities (distillation)
    turned_votes: float = 0.0  # faces turned at least this far (pose.py) take the votes alone

    @property
    def out_idx(self) -> list[int]:
        return [self.train_classes.index(c) for c in self.classes]

    def targets(self, ds: Dataset) -> np.ndarray:
        """float32 [N, K_train]: (1-w)·one-hot(original) + w·votes (one-hot where no votes);
        with a teacher, that mixed (1-a : a) with the teacher's probabilities (columns in
        `train_classes` order).

        `ds` must hold only training classes (its labels are mapped by class name)."""
        idx = np.array([self.train_classes.index(c) for c in ds.classes])
        onehot = np.eye(len(self.train_classes), dtype=np.float32)[idx[ds.labels]]
        out = onehot.copy()
        if self.vote_weight > 0:
            dist = vote_distribution(ds, self.train_classes)
            has = ~np.isnan(dist).any(1)
            w = np.full(len(out), self.vote_weight, np.float32)
            if self.turned_votes > 0 and ds.turned is not None:
                # NaN (no face found) compares False: those keep the usual mix
                w[ds.turned >= self.turned_votes] = 1.0
            out[has] = (1 - w[has, None]) * onehot[has] + w[has, None] * dist[has]
        if self.teacher_weight > 0 and ds.teacher is not None:
            a = self.teacher_weight
            out = (1 - a) * out + a * ds.teacher.astype(np.float32)
        return out

    def collapse(self, probs: np.ndarray) -> np.ndarray:
        """[N, K_train] probabilities -> [N, K_out], renormalised over the output classes."""
        p = probs[:, self.out_idx].astype(np.float64)
        return p / np.maximum(p.sum(1, keepdims=True), 1e-12)

    def truths(self, ds: Dataset) -> dict[str, np.ndarray]:
        """int64 [N] per truth: index into `classes`, -1 where the image is not judged on it.

        `ds` may hold any FER classes (validation and test keep all seven, so every recipe is
        judged on the same images)."""
        remap = np.array([self.classes.index(c) if c in self.classes else -1
                          for c in ds.classes], np.int64)
        return {"original": remap[ds.labels], "consensus": majority_labels(ds, self.classes)}


def accuracy(labels: np.ndarray, probs: np.ndarray) -> float:
    """Accuracy over the images with a label (>= 0); NaN when there are none."""
    keep = labels >= 0
    return float((probs[keep].argmax(1) == labels[keep]).mean()) if keep.any() else float("nan")
