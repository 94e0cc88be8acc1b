"""How far can any model go on both truths at once? The ceiling set by their disagreements.

    python benchmarks/truth_ceiling.py [fer2013.csv.gz] [--votes V] [--split val|PublicTest]

The original FER-2013 label and the FER+ raters' majority disagree on about a fifth of the
images both judge (mostly: original "sad", raters "neutral"). A model gives each image one
label, so on those images it can match only one truth. This computes, by linear programming
over which truth an *oracle* follows on each kind of disagreement (original class x majority
class), the best the oracle can do:
- the highest worst-class recall over both truths, and both accuracies there;
- the highest accuracy against the original labels for a given accuracy against the majority;
- the least "skill" an oracle needs to meet the accuracy targets (original, majority, every
  recall): right on only that share of the images the truths do not divide, and on that share of
  the disagreements against one truth or the other. `--model M.onnx` prints M's skill beside it.
Images with only one truth among the classes follow it. For a human reference it also scores a
single FER+ rater as a model is scored. Labels only, unless `--model` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
CLASSES = ("happy", "sad", "surprise", "neutral")
TARGETS = (0.83, 0.85, 0.75)  # issue 12: original accuracy, majority accuracy, every recall


def truths(csv: Path, votes: Path, split: str) -> tuple[np.ndarray, ...]:
    """(original, majority) label per image, -1 where that truth is outside CLASSES; the images
    and their FER+ vote counts."""
    from training.data import FER_CLASSES, load_fer_csv, split_of
    from training.targets import Task
    from training.votes import attach_votes, load_votes

    ds = attach_votes(split_of(load_fer_csv(csv, FER_CLASSES, extra_ok=True), split),
                      load_votes(votes))  # val: fer-train's default split (seed 42, 10 %)
    t = Task(CLASSES, CLASSES, 0.5, 0.0).truths(ds)
    return t["original"], t["consensus"], ds.images, ds.votes


def ceiling(orig: np.ndarray, cons: np.ndarray, min_cons_acc: float | None = None,
            skill: float = 1.0, min_recall: float = 0.0) -> dict:
    """LP over f[o, c] = share of (original o, majority c) disagreements labelled c.

    Without `min_cons_acc`: maximise the worst recall. With it: maximise the original accuracy
    with the majority accuracy at least `min_cons_acc` and every recall at least `min_recall`
    (None in the result when unreachable). `skill` < 1: the oracle is right on only that share
    of every kind of image (of the disagreements, right against one truth or the other).
    """
    from scipy.optimize import linprog

    k = len(CLASSES)
    pairs = [(a, b) for a in range(k) for b in range(k) if a != b]
    n = {p: int(np.sum((orig == p[0]) & (cons == p[1]))) for p in pairs}
    n_o, n_c = np.bincount(orig[orig >= 0], minlength=k), np.bincount(cons[cons >= 0], minlength=k)
    fixed_o = np.array([np.sum((orig == i) & (cons == i)) + np.sum((orig == i) & (cons < 0))
                        for i in range(k)], float)  # always right against the original
    fixed_c = np.array([np.sum((orig == i) & (cons == i)) + np.sum((cons == i) & (orig < 0))
                        for i in range(k)], float)
    # hits_o[i] = fixed_o[i] + sum_c n[i,c] (1 - f); hits_c[j] = fixed_c[j] + sum_o n[o,j] f
    a_o = np.zeros((k, len(pairs)))
    a_c = np.zeros((k, len(pairs)))
    for j, (a, b) in enumerate(pairs):
        a_o[a, j], a_c[b, j] = -n[(a, b)], n[(a, b)]
    base_o = fixed_o + np.array([sum(n[(i, b)] for b in range(k) if b != i) for i in range(k)])
    base_o, fixed_c = skill * base_o, skill * fixed_c
    bounds = [(0, skill)] * len(pairs)
    if min_cons_acc is None:  # variables [f..., t]: max t with every recall >= t
        c = np.r_[np.zeros(len(pairs)), -1.0]
        a_ub = np.vstack([np.c_[-a_o / n_o[:, None], np.ones(k)],
                          np.c_[-a_c / n_c[:, None], np.ones(k)]])
        b_ub = np.r_[base_o / n_o, fixed_c / n_c]
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds + [(0, 1)])
        f = res.x[:-1]
    else:
        # majority accuracy >= min_cons_acc; every recall of both truths >= min_recall
        a_ub = np.vstack([-a_c.sum(0)[None], -a_o / n_o[:, None], -a_c / n_c[:, None]])
        b_ub = np.r_[fixed_c.sum() - min_cons_acc * n_c.sum(), base_o / n_o - min_recall,
                     fixed_c / n_c - min_recall]
        res = linprog(-a_o.sum(0), A_ub=a_ub, b_ub=b_ub, bounds=bounds)
        if not res.success:
            return {"original": None, "consensus": None, "worst_recall": None}
        f = res.x
    hits_o, hits_c = base_o + a_o @ f, fixed_c + a_c @ f
    return {"original": hits_o.sum() / n_o.sum(), "consensus": hits_c.sum() / n_c.sum(),
            "worst_recall": min(np.min(hits_o / n_o), np.min(hits_c / n_c)),
            "recalls": {"original": hits_o / n_o, "consensus": hits_c / n_c}}


def skill_needed(orig: np.ndarray, cons: np.ndarray, acc_o: float, acc_c: float,
                 recall: float) -> float:
    """The least `skill` (bisection) at which an oracle meets both accuracies and every recall."""
    def meets(skill: float) -> bool:
        r = ceiling(orig, cons, acc_c, skill, recall)
        return r["original"] is not None and r["original"] >= acc_o

    lo, hi = 0.5, 1.0
    if not meets(hi):
        return float("nan")
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    return hi


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("csv", nargs="?", type=Path, default=SHARED / "fer2013" / "fer2013.csv.gz")
    p.add_argument("--votes", type=Path,
                   default=SHARED / "ferplus" / "fer2013_ferplus_votes.csv.gz")
    p.add_argument("--split", choices=["val", "PublicTest"], default="val")
    p.add_argument("--model", type=Path, help="an emotion model (ONNX) to set beside the oracle")
    args = p.parse_args()
    if args.model and not args.model.is_file():
        print(f"truth_ceiling: model not found: {args.model}", file=sys.stderr)
        return 2
    orig, cons, images, votes = truths(args.csv, args.votes, args.split)
    both = (orig >= 0) & (cons >= 0)
    print(f"{args.split}: {np.sum(orig >= 0)} images with an original label in "
          f"{', '.join(CLASSES)}, {np.sum(cons >= 0)} with a majority there, {both.sum()} with "
          f"both; they agree on {np.mean(orig[both] == cons[both]):.1%}")
    print("disagreements (rows: original label, columns: raters' majority)")
    print(f"{'':>10}" + "".join(f"{c:>10}" for c in CLASSES))
    for i, name in enumerate(CLASSES):
        print(f"{name:>10}" + "".join(f"{np.sum((orig == i) & (cons == j)) if i != j else 0:>10}"
                                      for j in range(len(CLASSES))))
    best = ceiling(orig, cons)
    print(f"oracle, best worst-class recall over both truths: {best['worst_recall']:.3f} "
          f"(accuracy {best['original']:.1%} original / {best['consensus']:.1%} majority)")
    for truth in ("original", "consensus"):
        print(f"  recalls vs {truth}: " + ", ".join(
            f"{c} {r:.2f}" for c, r in zip(CLASSES, best["recalls"][truth], strict=True)))
    print("oracle, best original accuracy for a given majority accuracy:")
    for target in (0.80, 0.85, 0.90, 0.95):
        r = ceiling(orig, cons, target)
        print(f"  majority >= {target:.0%}: " + ("unreachable" if r["original"] is None else
              f"original {r['original']:.1%}"))
    need = skill_needed(orig, cons, *TARGETS)
    print(f"targets ({TARGETS[0]:.0%} original, {TARGETS[1]:.0%} majority, every recall >= "
          f"{TARGETS[2]}): an oracle needs a skill of at least {need:.3f}")
    vs_others, vs_orig = rater_agreement(votes, orig)
    print(f"a single FER+ rater, for comparison: {vs_others:.1%} against the other nine's "
          f"majority, {vs_orig:.1%} against the original label (votes within {', '.join(CLASSES)})")
    if args.model:
        _model_skill(args.model, images, orig, cons)
    return 0


def rater_agreement(votes: np.ndarray, orig: np.ndarray) -> tuple[float, float]:
    """A human reference, scored as a model is: a random FER+ rater's vote, among CLASSES,
    against the majority (>= half) of the image's other raters when that is in CLASSES, and
    against the original label when that is."""
    from training.votes import TO_FER, VOTE_COLUMNS

    cols = np.array([VOTE_COLUMNS.index(next(k for k, v in TO_FER.items() if v == c))
                     for c in CLASSES])
    v = np.nan_to_num(votes)
    others = v[:, None, :] - np.eye(v.shape[1])[None]  # [image, left-out rater's vote, column]
    top = others.argmax(2)
    judged = ((np.take_along_axis(others, top[..., None], 2)[..., 0]
               >= (v.sum(1, keepdims=True) - 1) / 2) & np.isin(top, cols))
    w = v[:, cols] * judged[:, cols]  # votes within CLASSES whose others have a majority there
    vs_others = np.sum(w * (top[:, cols] == cols)) / w.sum()
    keep = orig >= 0
    in_classes = v[keep][:, cols]
    vs_orig = in_classes[np.arange(keep.sum()), orig[keep]].sum() / in_classes.sum()
    return float(vs_others), float(vs_orig)


def _model_skill(path: Path, images: np.ndarray, orig: np.ndarray, cons: np.ndarray) -> None:
    from compare_models import probs

    probs_, classes = probs(path, images)
    if classes != CLASSES:
        raise SystemExit(f"truth_ceiling: {path.name} outputs {classes}, not {CLASSES}")
    pred = probs_.argmax(1)
    undivided = (orig >= 0) & ((cons < 0) | (cons == orig)) | (cons >= 0) & (orig < 0)
    truth = np.where(orig >= 0, orig, cons)
    split = (orig >= 0) & (cons >= 0) & (orig != cons)
    print(f"{path}: right on {np.mean(pred[undivided] == truth[undivided]):.3f} of the "
          f"{undivided.sum()} images the truths do not divide; of the {split.sum()} "
          f"disagreements it follows the original on {np.mean(pred[split] == orig[split]):.3f}, "
          f"the majority on {np.mean(pred[split] == cons[split]):.3f}")


if __name__ == "__main__":
    sys.exit(main())
