"""Class offsets that balance the two truths (the issue's "no class's recall below 0.75 on
either").

The original labels and the FER+ raters disagree mostly about sad against neutral: a face one
annotator called sad, most raters call neutral. A net trained on both leans one way; which way
is a choice, not a fact. Offsets added to the logits (a prior shift: softmax(z / T + b)) move
that boundary; they are fitted on the validation split to make the worst class recall over both
truths as high as it can be (ties: the higher mean accuracy), by coordinate search over a grid.
The first class keeps offset 0 (only differences matter).
"""

from __future__ import annotations

import numpy as np

from training.calibrate import calibrated_probs

GRID = np.round(np.arange(-1.5, 1.5001, 0.05), 2)
SWEEPS = 3


def worst_recall(probs: np.ndarray, truths: dict[str, np.ndarray]) -> tuple[float, float]:
    """(lowest per-class recall over every truth, mean accuracy over the truths)."""
    pred = probs.argmax(1)
    recalls, accs = [], []
    for y in truths.values():
        keep = y >= 0
        if not keep.any():
            continue
        accs.append(float((pred[keep] == y[keep]).mean()))
        recalls += [float((pred[y == c] == c).mean()) for c in np.unique(y[keep])]
    return (min(recalls), float(np.mean(accs))) if recalls else (0.0, 0.0)


def fit_class_bias(logits: np.ndarray, temperature: float,
                   truths: dict[str, np.ndarray]) -> np.ndarray:
    """Offsets b [K] (b[0] = 0) for softmax(logits / T + b), logits [V, N, K]."""
    k = logits.shape[-1]
    bias = np.zeros(k)
    best = worst_recall(calibrated_probs(logits, temperature, bias), truths)
    for _ in range(SWEEPS):
        moved = False
        for c in range(1, k):
            for v in GRID:
                trial = bias.copy()
                trial[c] = v
                score = worst_recall(calibrated_probs(logits, temperature, trial), truths)
                if score > best:
                    best, bias, moved = score, trial, True
        if not moved:
            break
    return bias
