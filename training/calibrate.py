"""Calibration: a temperature fitted on the validation split, applied inside the exported graph,
and how well probabilities mean what they say (expected calibration error, reliability diagram).

The exported probabilities are softmax(logits[output classes] / T), averaged over the views
(image and mirror image when flip averaging is on). T is the one that minimises the negative
log-likelihood of the original labels on the validation split; it never changes a prediction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

ECE_BINS = 15


def calibrated_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    """logits [V, N, K] (V views) -> probabilities [N, K], the mean of each view's softmax."""
    z = logits / temperature
    z = z - z.max(-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(-1, keepdims=True)
    return p.mean(0)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """T in [0.05, 20] minimising the NLL of `labels` (images with label >= 0)."""
    keep = labels >= 0
    z, y = logits[:, keep], labels[keep]

    def nll(log_t: float) -> float:
        p = calibrated_probs(z, float(np.exp(log_t)))
        return float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def reliability(labels: np.ndarray, probs: np.ndarray, bins: int = ECE_BINS) -> dict:
    """Expected calibration error (top-label, equal-width bins) and the per-bin table."""
    keep = labels >= 0
    y, p = labels[keep], probs[keep]
    conf, hit = p.max(1), (p.argmax(1) == y).astype(np.float64)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        m = which == b
        if not m.any():
            continue
        acc, c = float(hit[m].mean()), float(conf[m].mean())
        ece += m.mean() * abs(acc - c)
        rows.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "n": int(m.sum()),
                     "confidence": c, "accuracy": acc})
    return {"ece": float(ece), "bins": rows, "n": int(len(y))}


def plot_reliability(curves: dict[str, dict], path: Path, title: str) -> None:
    """One reliability diagram with a curve per truth (name -> `reliability` result)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.4), dpi=120)
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfect")
    for name, rel in curves.items():
        xs = [b["confidence"] for b in rel["bins"]]
        ys = [b["accuracy"] for b in rel["bins"]]
        ax.plot(xs, ys, marker="o", ms=3, label=f"{name} (ECE {rel['ece']:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("model's top probability")
    ax.set_ylabel("share of those that are right")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
