"""Final evaluation on PublicTest: classification report, confusion matrix PNG, metrics.json."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CI has no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import classification_report, confusion_matrix  # noqa: E402


def report(labels: np.ndarray, probs: np.ndarray, classes: tuple[str, ...]) -> dict:
    """Classification report over the images with a label on this truth (label >= 0)."""
    keep = labels >= 0
    labels, probs = labels[keep], probs[keep]
    pred = probs.argmax(1)
    rep = classification_report(
        labels, pred, labels=list(range(len(classes))), target_names=list(classes),
        output_dict=True, zero_division=0,
    )
    cm = confusion_matrix(labels, pred, labels=list(range(len(classes))))
    return {
        "accuracy": float(rep["accuracy"]),
        "macro_avg": {k: float(v) for k, v in rep["macro avg"].items()},
        "weighted_avg": {k: float(v) for k, v in rep["weighted avg"].items()},
        "per_class": {c: {k: float(v) for k, v in rep[c].items()} for c in classes},
        "confusion_matrix": cm.tolist(),
        "n": int(len(labels)),
        "text": classification_report(
            labels, pred, labels=list(range(len(classes))), target_names=list(classes),
            digits=3, zero_division=0,
        ),
    }


def plot_confusion(cm: list[list[int]], classes: tuple[str, ...], path: Path, title: str) -> None:
    cm = np.asarray(cm)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.4 * len(classes) + 2, 1.2 * len(classes) + 1.6), dpi=120)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{cm[i, j]}\n{norm[i, j]:.0%}", ha="center", va="center", fontsize=8,
                    color="white" if norm[i, j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
