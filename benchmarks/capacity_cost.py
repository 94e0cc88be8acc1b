"""What a wider classifier would cost the app: cnn7 nets of several widths, float and int8.

The shipped net underfits (its augmented training accuracy ends near its validation accuracy),
so a wider one is the obvious lever for accuracy; this says what each width costs per face
before any is trained. Each net gets random weights (speed does not depend on them), the
shipped graph (mirror-image averaging inside), and the int8 quantization the app loads; all are
timed as the app runs them (`EmotionClassifier`), alternating over rounds, best round kept.
Needs the training extra (TensorFlow) and the FER-2013 CSV (int8 calibration images).

    python benchmarks/capacity_cost.py [--widths 32 48 64] [--clock cpu|wall] [--threads 1]

`--clock cpu` (the default) counts faces per CPU-second of this process with one ONNX Runtime
thread: a background training disturbs that far less than wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.classifier import EmotionClassifier  # noqa: E402
from benchmarks.bench_classifier import rate  # noqa: E402

CLASSES = "happy,sad,surprise,neutral"


def build(width: int, out: Path, images) -> tuple[Path, Path, int]:
    """Float and int8 ONNX files of a random-weight cnn7 of `width`; and its parameters."""
    from training import export
    from training.data import parse_classes
    from training.model import HParams, make_core
    from training.quantize import quantize_int8
    from training.targets import Task

    classes = parse_classes(CLASSES)
    hp = HParams(width=width)
    core = make_core(hp, len(classes))
    path = out / f"cnn7_w{width}.onnx"
    export.export_onnx(export.inference_model([(core, hp)], Task(classes, classes), True), path,
                       classes, images[:64], metadata={"version": f"random-w{width}"})
    return path, quantize_int8(path, images), int(core.count_params())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[32, 48, 64])
    ap.add_argument("--csv", type=Path, default=None, help="FER-2013 CSV (int8 calibration)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--faces", type=int, default=300)
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from training.data import DataError, load_fer_csv, parse_classes
    from training.options import SHARED_CSV

    try:
        data = load_fer_csv(args.csv or SHARED_CSV, parse_classes(CLASSES))
    except DataError as exc:
        print(f"capacity_cost: error: {exc}", file=sys.stderr)
        return 1
    images = data["Training"].images[:600]
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    with tempfile.TemporaryDirectory() as tmp:
        nets = {w: build(w, Path(tmp), images) for w in args.widths}
        loaded = {(w, kind): EmotionClassifier(p, device="cpu", threads=args.threads)
                  for w, (f, q, _) in nets.items() for kind, p in (("float", f), ("int8", q))}
        best: dict[tuple, float] = {}
        for _ in range(args.rounds):
            for key, clf in loaded.items():
                best[key] = max(best.get(key, 0.0), rate(clf, 1, args.faces, clock))
    unit = "CPU-ms" if args.clock == "cpu" else "ms"
    print(f"cnn7, batch 1, mirror averaging on, {args.threads} ORT thread(s), best of "
          f"{args.rounds} rounds; {unit} per face")
    print(f"{'width':>5} {'params':>10} {'float':>8} {'int8':>8}")
    for w, (_, _, params) in nets.items():
        print(f"{w:>5} {params:>10,} {1000 / best[(w, 'float')]:>8.2f} "
              f"{1000 / best[(w, 'int8')]:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
