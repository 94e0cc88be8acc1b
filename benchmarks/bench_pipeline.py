"""End-to-end speed of the analysis pipeline (decode -> detect -> classify), in frames/s.

Makes 640x360 and 1280x720 clips by resizing the one-face clip of ../shared/media into a temp
folder, runs `analyze_source` on each with every `--detector` option in turn (decoding in its
own thread, as fer-analyze does; "face" = frames with a face detected in that frame) and
splits the time into decode (reader thread), detect (+ tracking, the caller's thread) and
classify (crops + model + smoothing, a third thread). The stages overlap (frame t is
classified while t+1 is detected and the next ones decoded), so their times add up to more
than the wall time on 2 cores, and each is a little longer than it would be alone. Prints the
load average too: figures taken while something else (e.g. training) loads the CPU are lower
bounds.

    python benchmarks/bench_pipeline.py --model models/fer_cnn.onnx [--detectors combined,haar]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.analyzer import Analyzer, Timings  # noqa: E402
from app.core.analysis.classifier import CLASSIFY_THREADS, EmotionClassifier  # noqa: E402
from app.core.analysis.detector import DEFAULT_DETECTOR, DETECTORS  # noqa: E402
from app.core.analysis.pipeline import analyze_source  # noqa: E402
from app.core.analysis.sources import open_source, quiet_native_logs  # noqa: E402
from app.core.errors import CoreError  # noqa: E402

CLIP = REPO.parent / "shared" / "media" / "WolfgangLanger_Pexels.mp4"
SIZES = ((640, 360), (1280, 720))


def resize_clip(src: Path, size: tuple[int, int], out: Path) -> Path:
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 24.0, size)
    with open_source(src) as frames:
        for f in frames:
            writer.write(cv2.resize(f.image, size, interpolation=cv2.INTER_AREA))
    writer.release()
    return out


def decode_only(path: Path) -> float:
    start = time.perf_counter()
    with open_source(path) as src:
        n = sum(1 for _ in src)
    return n / (time.perf_counter() - start)


def run(path: Path, analyzer: Analyzer) -> tuple[int, float, Timings, float]:
    analyzer.timings = Timings()
    start = time.perf_counter()
    faces = n = 0
    for r in analyze_source(path, analyzer):
        n += 1
        faces += r.has_face
    return n, time.perf_counter() - start, analyzer.timings, faces / max(n, 1)


def classify_rate(analyzer: Analyzer, batch: int = 1, n: int = 400) -> float:
    crops = np.random.default_rng(0).uniform(0, 255, (batch, 48, 48, 1)).astype(np.float32)
    analyzer.classifier.predict(crops)
    start = time.perf_counter()
    for _ in range(n // batch):
        analyzer.classifier.predict(crops)
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="ONNX model (default: the shipped model)")
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))
    ap.add_argument("--classify-threads", type=int, default=CLASSIFY_THREADS,
                    help=f"ONNX Runtime threads of the classifier (default: the app's, "
                         f"{CLASSIFY_THREADS})")
    ap.add_argument("--video", type=Path, default=CLIP, help="clip to resize")
    ap.add_argument("--detectors", default=",".join(DETECTORS),
                    help=f"comma-separated --detector options (default: all; "
                         f"{DEFAULT_DETECTOR} is the app's default)")
    args = ap.parse_args(argv)
    names = [d.strip() for d in args.detectors.split(",") if d.strip()]
    if not names or any(d not in DETECTORS for d in names):
        ap.error(f"--detectors: choose from {', '.join(DETECTORS)}")
    quiet_native_logs()
    if not args.video.is_file():
        print(f"bench_pipeline: error: {args.video} not found (needs ../shared/media)",
              file=sys.stderr)
        return 1
    try:
        clf = EmotionClassifier(args.model, device=args.device, threads=args.classify_threads)
        analyzers = {d: Analyzer(classifier=clf, device=args.device, detector=d) for d in names}
    except CoreError as exc:
        print(f"bench_pipeline: error: {exc}", file=sys.stderr)
        return 1
    analyzer = analyzers[names[0]]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"cores {os.cpu_count()}, load average {load} (1/5/15 min); OpenCV threads "
          f"{cv2.getNumThreads()}; model {analyzer.classifier.path.name} on {analyzer.provider}")
    print(f"classifier alone: {classify_rate(analyzer):.0f} faces/s at batch 1, "
          f"{classify_rate(analyzer, 8):.0f} faces/s at batch 8")
    print(f"{'clip':>10} {'detector':>9} {'frames':>6} {'face':>6} {'fps':>6} | per frame (ms):"
          f" {'decode':>6} {'detect':>6} {'classify':>8} | decode alone fps")
    with tempfile.TemporaryDirectory() as tmp:
        for w, h in SIZES:
            clip = resize_clip(args.video, (w, h), Path(tmp) / f"clip_{w}x{h}.mp4")
            alone = decode_only(clip)
            for name, an in analyzers.items():
                run(clip, an)  # warm-up pass (first-run allocations, page cache)
                n, secs, t, face = run(clip, an)
                print(f"{w:>5}x{h:<4} {name:>9} {n:>6} {100 * face:>5.1f}% {n / secs:>6.1f} | "
                      f"{' ' * 15}{1000 * t.decode_s / n:>6.2f} {1000 * t.detect_s / n:>6.2f} "
                      f"{1000 * t.classify_s / n:>8.2f} | {alone:>6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
