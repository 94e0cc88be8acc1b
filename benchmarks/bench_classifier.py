"""The emotion classifier alone, float vs int8, in faces/s (batch 1 and 8), side by side.

Loads each model as the app does (`EmotionClassifier`, CLASSIFY_THREADS ONNX Runtime threads,
no spinning), alternates the models over several rounds and keeps each one's best round, so a
burst of load elsewhere penalises neither more. Then one profiled run per model lists the
kernels ONNX Runtime actually ran (QLinearConv, QGemm: the int8 kernels that use VNNI/AMX).
Run it on an idle machine: `/work/wt/quiet.sh python benchmarks/bench_classifier.py`.

    python benchmarks/bench_classifier.py [--float models/fer_cnn.onnx] [--int8 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.classifier import CLASSIFY_THREADS, EmotionClassifier  # noqa: E402
from app.core.errors import CoreError  # noqa: E402

MODELS = REPO / "models"


def rate(clf, batch: int, faces: int, clock=time.perf_counter) -> float:
    crops = np.random.default_rng(0).uniform(0, 255, (batch, 48, 48, 1)).astype(np.float32)
    clf.predict(crops)
    start = clock()
    for _ in range(faces // batch):
        clf.predict(crops)
    return faces / (clock() - start)


def kernels(path: Path, threads: int) -> str:
    """Op types of the nodes ONNX Runtime ran (after its fusions), from a profiled run."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    opts.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        opts.profile_file_prefix = str(Path(tmp) / "prof")
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        x = np.zeros((1, 48, 48, 1), np.float32)
        sess.run(None, {sess.get_inputs()[0].name: x})
        events = json.loads(Path(sess.end_profiling()).read_text())
    ops = Counter(e["args"]["op_name"] for e in events
                  if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"))
    return ", ".join(f"{op} {n}" for op, n in ops.most_common())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--float", type=Path, default=MODELS / "fer_cnn.onnx", dest="float_path")
    ap.add_argument("--int8", type=Path, default=MODELS / "fer_cnn_int8.onnx")
    ap.add_argument("--threads", type=int, nargs="+", default=None,
                    help="ONNX Runtime threads to compare (default: the app's)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--faces", type=int, default=400, help="faces per round")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: faces per CPU-second of this process, which other jobs on a busy "
                         "machine disturb far less (compare with --threads 1)")
    args = ap.parse_args(argv)

    threads = args.threads or [CLASSIFY_THREADS]
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    isa = [f for f in ("avx512_vnni", "amx_int8", "avx512_bf16") if f in flags.split()]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"cores {os.cpu_count()}, int8 units {', '.join(isa) or 'none listed'}, "
          f"load average {load}")
    models = {"float": args.float_path, "int8": args.int8}
    try:
        loaded = {(name, t): EmotionClassifier(path, device="cpu", threads=t)
                  for name, path in models.items() for t in threads}
    except CoreError as exc:
        print(f"bench_classifier: error: {exc}", file=sys.stderr)
        return 1
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    best: dict[tuple, float] = {}
    for _ in range(args.rounds):
        for key, clf in loaded.items():
            for batch in (1, 8):
                r = rate(clf, batch, args.faces, clock)
                best[(*key, batch)] = max(best.get((*key, batch), 0.0), r)
    unit = "faces per CPU-second" if args.clock == "cpu" else "faces/s"
    print(f"{'threads':>7} {'batch':>5} {'float':>8} {'int8':>8} {'speed-up':>8}  ({unit}, "
          f"best of {args.rounds} rounds)")
    for t in threads:
        for batch in (1, 8):
            f, q = best[("float", t, batch)], best[("int8", t, batch)]
            print(f"{t:>7} {batch:>5} {f:>8.0f} {q:>8.0f} {q / f:>7.2f}x")
    for name, path in models.items():
        print(f"{name} ({path.name}, {path.stat().st_size / 1e6:.1f} MB) ran: "
              f"{kernels(path, threads[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
