"""Calibration: a temperature fitted on the validation split, applied inside the exported graph,
and how well probabilities mean what they say (expected calibration error, reliability diagram).

The exported probabilities are softmax(logits[output classes] / T), averaged over the views
(image and mirror image when flip averaging is on). T is the one that minimises the negative
log-likelihood of the original labels on the validation split; it never changes a prediction.

A temperature fixes the overall sharpness but not the shape of the reliability curve (a model
trained on soft vote targets is under-confident in the middle and over-confident at the top
against the original labels). A monotone map of the top probability then follows: fitted by
isotonic regression of "right or wrong" on the top probability (top-label calibration, Gupta &
Ramdas 2022), kept as a few knots of a piecewise-linear curve, applied inside the graph after
the average; the other classes are rescaled to fill the rest. It is kept only when it lowers
the ECE on held-out halves of the validation split (two-fold cross-fitting) by more than noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

ECE_BINS = 15


def calibrated_probs(logits: np.ndarray, temperature: float,
                     bias: np.ndarray | None = None) -> np.ndarray:
    """logits [V, N, K] (V views) -> probabilities [N, K], the mean of each view's
    softmax(logits / T + bias) (bias: balance.py's class offsets)."""
    z = logits / temperature
    if bias is not None:
        z = z + np.asarray(bias)
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


TOP_MAP_KNOTS = 12
# The map never says more than this: a few hundred validation faces all right at the top do
# not make a face certain (about a Laplace estimate's (n+1)/(n+2) for such a bin).
TOP_MAP_CEILING = 0.995
# The ECE of a few thousand images moves by about this much from sampling alone: a map that
# gains less than this on held-out halves is fitting noise.
TOP_MAP_MARGIN = 0.005


def apply_top_map(probs: np.ndarray, knots: list[list[float]] | None) -> np.ndarray:
    """probs [N, K] -> the top probability replaced by the map's value at it (interpolated
    between knots [[x, y], ...]); the other classes scaled so each row sums to 1."""
    if not knots:
        return probs
    xs, ys = np.asarray(knots, np.float64).T
    top = probs.argmax(1)
    c = probs[np.arange(len(probs)), top]
    c2 = np.interp(c, xs, ys)
    out = probs * (np.maximum(1.0 - c2, 0.0) / np.maximum(1.0 - c, 1e-6))[:, None]
    out[np.arange(len(probs)), top] = c2
    return out


def fit_top_map(probs: np.ndarray, labels: np.ndarray) -> list[list[float]]:
    """Knots [[x, y], ...] of a monotone map from the top probability to the share right,
    fitted on images with label >= 0; knots sit at quantiles of the top probability, ends at 1/K
    and 1. The map never goes below min(x, 1/2) (with a knot at 1/2, so the interpolation does
    not either): then no other class, rescaled, can overtake the top one."""
    from sklearn.isotonic import IsotonicRegression

    keep = labels >= 0
    p, y = probs[keep], labels[keep]
    k = probs.shape[1]
    conf, hit = p.max(1), (p.argmax(1) == y).astype(np.float64)
    iso = IsotonicRegression(y_min=1.0 / k, y_max=1.0, out_of_bounds="clip").fit(conf, hit)
    inner = np.quantile(conf, np.linspace(0, 1, TOP_MAP_KNOTS))[1:-1]
    xs = np.unique(np.r_[1.0 / k, inner, 0.5, 1.0])
    ys = np.maximum.accumulate(np.maximum(iso.predict(xs), np.minimum(xs, 0.5)))
    ys = np.minimum(ys, TOP_MAP_CEILING)
    return [[float(a), float(b)] for a, b in zip(xs, ys, strict=True)]


def choose_top_map(probs: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    """The top-probability map fitted on all of `probs`, and whether it earns its place: the ECE
    of each half of the validation images with the map fitted on the other half, against the
    ECE without it (both halves pooled)."""
    keep = np.flatnonzero(labels >= 0)
    order = np.random.default_rng(seed).permutation(keep)
    halves = (order[: len(order) // 2], order[len(order) // 2:])
    mapped = np.empty_like(probs)
    for fit_on, apply_to in (halves, halves[::-1]):
        mapped[apply_to] = apply_top_map(probs[apply_to], fit_top_map(probs[fit_on],
                                                                      labels[fit_on]))
    without = reliability(labels[keep], probs[keep])["ece"]
    cross = reliability(labels[keep], mapped[keep])["ece"]
    keep_map = cross < without - TOP_MAP_MARGIN
    return {"knots": fit_top_map(probs, labels) if keep_map else None,
            "val_ece_without": without, "val_ece_cross_fitted": cross}


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
