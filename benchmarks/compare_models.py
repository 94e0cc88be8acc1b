"""Two classifier models on FER-2013 PublicTest, against both truths: accuracy, per-class recall,
expected calibration error, and McNemar's exact test on the images only one of them gets right.

    python benchmarks/compare_models.py OLD.onnx NEW.onnx [--csv fer2013.csv.gz] [--votes V]
                                        [--split PublicTest|val]

`--split val`: fer-train's validation split (seed 42, 10 % of Training), for choosing between
recipes without touching the test set.

Needs the training extra (it reads the data with training.data) and ../shared's FER+ votes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.classifier import EmotionClassifier  # noqa: E402
from training.calibrate import reliability  # noqa: E402
from training.data import FER_CLASSES, load_fer_csv, split_of  # noqa: E402
from training.options import SHARED_CSV, SHARED_VOTES  # noqa: E402
from training.targets import Task  # noqa: E402
from training.votes import attach_votes, load_votes  # noqa: E402


def probs(path: Path, images: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """The model as the app loads it (contract checked, telemetry off), on the CPU."""
    clf = EmotionClassifier(path, device="cpu")
    x = images.astype(np.float32)
    return np.concatenate([clf.predict(x[i:i + 512]) for i in range(0, len(x), 512)]), \
        tuple(clf.classes)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", type=Path, nargs=2)
    p.add_argument("--csv", type=Path, default=SHARED_CSV)
    p.add_argument("--votes", type=Path, default=SHARED_VOTES)
    p.add_argument("--split", choices=["PublicTest", "val"], default="PublicTest")
    args = p.parse_args()
    from scipy.stats import binomtest

    test = split_of(load_fer_csv(args.csv, FER_CLASSES, extra_ok=True), args.split)
    test = attach_votes(test, load_votes(args.votes))
    out = {m: probs(m, test.images) for m in args.models}
    classes = out[args.models[0]][1]
    if out[args.models[1]][1] != classes:
        print("compare_models: the two models output different classes", file=sys.stderr)
        return 2
    truths = Task(classes, classes).truths(test)
    for k, y in truths.items():
        keep = y >= 0
        print(f"{k} truth, {keep.sum()} images")
        right = []
        for m in args.models:
            pr = out[m][0]
            pred = pr.argmax(1)
            rec = " ".join(f"{c} {np.mean(pred[keep & (y == i)] == i):.2f}"
                           for i, c in enumerate(classes))
            print(f"  {m.name:28s} accuracy {np.mean(pred[keep] == y[keep]):.4f}  recall {rec}  "
                  f"ECE {reliability(y, pr)['ece']:.4f}")
            right.append(pred[keep] == y[keep])
        only_new, only_old = int((~right[0] & right[1]).sum()), int((right[0] & ~right[1]).sum())
        pval = binomtest(only_new, only_new + only_old).pvalue if only_new + only_old else 1.0
        print(f"  McNemar: {only_new} right only with the second, {only_old} only with the "
              f"first, p = {pval:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
