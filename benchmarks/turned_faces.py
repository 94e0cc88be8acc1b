"""Models on turned faces: FER-2013 images by how far the head is turned, against both truths.

The original annotator called turned faces sad far more often than the FER+ raters do
(training/pose.py); a net that learns it calls calm turned faces sad, as real photographs of calm
faces turned 45 degrees showed. For each model and each band of |nose offset| (the app's
BlazeFace keypoints; 0.3 is about 30 degrees of yaw): accuracy against the original labels and
the raters' majority, the share of the faces the raters call neutral that the model calls sad,
and the recall of the faces the original label calls sad.

    python benchmarks/turned_faces.py MODEL.onnx [MODEL.onnx ...] [--split val|PublicTest]

`--split val` (the default): fer-train's validation split (seed 42, 10 % of Training), for
choosing between recipes without touching the test set. Needs the training extra and ../shared.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.compare_models import probs  # noqa: E402  (imports app before onnxruntime)
from training.data import FER_CLASSES, load_fer_csv, split_of  # noqa: E402
from training.options import SHARED_CSV, SHARED_VOTES  # noqa: E402
from training.pose import nose_offsets  # noqa: E402
from training.targets import Task  # noqa: E402
from training.votes import attach_votes, load_votes  # noqa: E402

BANDS = ((0.0, 0.15, "frontal (< 0.15)"), (0.15, 0.3, "turned 0.15-0.3"),
         (0.3, np.inf, "turned ≥ 0.3"), (0.0, np.inf, "all measured"))


def band_figures(pred: np.ndarray, truths: dict[str, np.ndarray], in_band: np.ndarray,
                 classes: tuple[str, ...]) -> dict[str, float]:
    """Accuracy on each truth, raters-neutral called sad, original-sad recall, in one band."""
    orig, cons = truths["original"], truths["consensus"]
    sad, neutral = classes.index("sad"), classes.index("neutral")

    def mean(mask: np.ndarray, hit: np.ndarray) -> float:
        return float(hit[mask].mean()) if mask.any() else float("nan")

    return {"n": int(in_band.sum()),
            "original": mean(in_band & (orig >= 0), pred == orig),
            "consensus": mean(in_band & (cons >= 0), pred == cons),
            "neutral_called_sad": mean(in_band & (cons == neutral), pred == sad),
            "sad_recall": mean(in_band & (orig == sad), pred == sad)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", type=Path, nargs="+")
    p.add_argument("--csv", type=Path, default=SHARED_CSV)
    p.add_argument("--votes", type=Path, default=SHARED_VOTES)
    p.add_argument("--split", choices=["val", "PublicTest"], default="val")
    args = p.parse_args(argv)
    data = split_of(load_fer_csv(args.csv, FER_CLASSES, extra_ok=True), args.split)
    data = attach_votes(data, load_votes(args.votes))
    turned = nose_offsets(data.images)
    print(f"{args.split}: {len(data)} images, BlazeFace measured {np.isfinite(turned).sum()}")
    print(f"{'model':28s} {'band':18s} {'n':>5} {'original':>8} {'raters':>7} "
          f"{'raters-neutral called sad':>26} {'original-sad recall':>20}")
    for m in args.models:
        label = f"{m.parent.name}/{m.name}"[-28:]
        pr, classes = probs(m, data.images)
        truths = Task(classes, classes).truths(data)
        for lo, hi, name in BANDS:
            f = band_figures(pr.argmax(1), truths, (turned >= lo) & (turned < hi), classes)
            print(f"{label:28s} {name:18s} {f['n']:>5} {f['original']:>8.3f} "
                  f"{f['consensus']:>7.3f} {f['neutral_called_sad']:>26.2f} "
                  f"{f['sad_recall']:>20.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
