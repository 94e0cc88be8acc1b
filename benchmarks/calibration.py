"""The shipped model's reliability on faces it never trained on: the uncertainty threshold.

    python benchmarks/calibration.py [fer2013.csv.gz] [--model M] [--split val|PublicTest] [--write]

Runs the model on the validation split fer-train carved out of FER-2013 Training (same seed and
fraction, read from the model's metrics.json; the default) or on PublicTest (the test set, for
reports only), restricted to the model's classes, and prints a reliability table over the top
probability (15 equal-width bins: faces, accuracy, mean confidence), the expected calibration
error and the threshold that app/core/analysis/uncertainty.py derives from it (the lowest top
probability from which every bin with >= 20 faces is right >= 2/3 of the time).
`--write` stores the table as `calibration.json` beside the model, tied to the model file by
its SHA-256, so a retrained model never inherits it. The threshold is a setting of the app, so
`--write` takes it from validation faces only, never from the test set.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "fer2013" / "fer2013.csv.gz"


def load(path: Path, classes: tuple[str, ...], split: str, model: Path):
    """The split's images and labels in `classes`, and its name for calibration.json."""
    from training.data import FER_CLASSES, load_fer_csv, select_classes, split_of

    seed, fraction = 42, 0.1
    if split == "val":  # fer-train's split for this model: its seed and fraction
        try:
            metrics = json.loads((model.parent / "metrics.json").read_text(encoding="utf-8"))
            seed, fraction = int(metrics["seed"]), float(metrics["data"]["val_fraction"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    ds = split_of(load_fer_csv(path, FER_CLASSES, extra_ok=True), split, seed, fraction)
    name = (f"FER-2013 Training, fer-train's validation split (seed {seed}, {fraction:.0%})"
            if split == "val" else f"FER-2013 {split}")
    ds = select_classes(ds, classes)
    return ds.images.astype(np.float32), ds.labels, name


def main() -> int:
    from app.core.analysis.classifier import EmotionClassifier
    from app.core.analysis.uncertainty import LEVEL, from_table, model_sha256
    from app.core.paths import default_model_path
    from training.calibrate import reliability

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    p.add_argument("--model", type=Path, default=None,
                   help="default: the shipped float model (its int8 version uses its table)")
    p.add_argument("--split", choices=["val", "PublicTest"], default="val",
                   help="val: fer-train's validation split (default); PublicTest: report only")
    p.add_argument("--write", action="store_true",
                   help="write calibration.json beside the model (from the validation split)")
    args = p.parse_args()
    if args.write and args.split != "val":
        p.error("--write takes the threshold from the validation split only")
    clf = EmotionClassifier(args.model or default_model_path(), device="cpu")
    images, labels, split = load(args.csv, tuple(clf.classes), args.split, clf.path)
    probs = np.concatenate([clf.predict(images[i:i + 256]) for i in range(0, len(images), 256)])
    table = reliability(labels, probs)  # fer-train's ECE: 15 equal-width bins
    rows = [{**r, "lo": round(r["lo"], 4), "hi": round(r["hi"], 4)} for r in table["bins"]]
    ece = table["ece"]
    threshold = from_table(rows)
    print(f"model {clf.path.name}, {split}, {len(labels)} faces "
          f"({', '.join(clf.classes)}): accuracy {np.mean(probs.argmax(1) == labels):.1%}, "
          f"ECE {ece:.3f}")
    print(f"{'top probability':>16} {'faces':>6} {'accuracy':>9} {'confidence':>11}")
    for r in rows:
        print(f"{r['lo']:7.2f} – {r['hi']:.2f} {r['n']:6d} {r['accuracy']:9.1%} "
              f"{r['confidence']:11.1%}")
    below, hit = probs.max(1) < threshold, probs.argmax(1) == labels
    print(f"threshold {threshold:.2f} (right >= {LEVEL:.0%} from there on): "
          f"{below.mean():.1%} of faces uncertain, accuracy {np.mean(hit[below]):.1%} below "
          f"vs {np.mean(hit[~below]):.1%} above")
    if args.write:
        out = clf.path.parent / "calibration.json"
        out.write_text(json.dumps({"model_file": clf.path.name,
                                   "model_sha256": model_sha256(clf.path),
                                   "split": split, "n": int(len(labels)),
                                   "ece": ece, "reliability": rows}, indent=1) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
