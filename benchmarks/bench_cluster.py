"""`fer-analyze --ray` on a local Ray with 1 and 2 workers against the plain command.

Prints, for a folder of copies of the demo clip (640x360, 472 frames each):
- the time to start Ray (`ray.init`) and to get a first task back (a worker process started);
- folder throughput in frames/s: the plain `fer-analyze FOLDER` vs `--ray` with 1 and 2 workers
  (a worker = one recording at a time; a task takes two of the CPUs Ray is told it has);
- the cost per recording: a folder of short recordings (`--max-frames 5`), time per recording,
  the first time (workers start, import the app and load the model) and once they are warm.

Everything runs in this process through `app.core.cli.main`, as the command would, with the
shipped model (or `--model`). Run it on an idle machine (`/work/wt/quiet.sh python ...` pauses
a background training run); the load average is printed.

    python benchmarks/bench_cluster.py [--clips 6] [--short 12] [--model M]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from app.core.cli import main as fer_analyze  # noqa: E402

CLIP = REPO / "app" / "assets" / "demo.mp4"
CLIP_FRAMES = 472
SHORT_FRAMES = 5


def run(args: list) -> float:
    """Seconds for one `fer-analyze` run; its console output is swallowed."""
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        rc = fer_analyze([str(a) for a in args])
    seconds = time.perf_counter() - start
    if rc != 0:
        sys.exit(f"fer-analyze {' '.join(map(str, args))} failed:\n{sink.getvalue()}")
    return seconds


def folder(root: Path, name: str, n: int) -> Path:
    path = root / name
    path.mkdir()
    for i in range(n):
        shutil.copy(CLIP, path / f"clip{i:02d}.mp4")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=6, help="whole clips in the throughput folder")
    ap.add_argument("--short", type=int, default=12, help="recordings in the overhead folder")
    ap.add_argument("--model", type=Path, help="ONNX model (default: the shipped one)")
    args = ap.parse_args()
    import ray

    model = ["--model", args.model] if args.model else []
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; near 0 = idle)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        whole, short = folder(tmp, "whole", args.clips), folder(tmp, "short", args.short)
        frames = args.clips * CLIP_FRAMES
        n = 0

        def out() -> Path:
            nonlocal n
            n += 1
            return tmp / f"out{n}"

        rows = []
        short_args = ["--max-frames", SHORT_FRAMES, *model]
        plain = run([whole, "--csv", out(), *model])
        plain_short = run([short, "--csv", out(), *short_args])
        rows.append(("plain fer-analyze", "-", "-", frames / plain, "-", plain_short / args.short))
        for workers in (1, 2):
            t = time.perf_counter()
            ray.init(address="local", num_cpus=2 * workers, include_dashboard=False,
                     log_to_driver=False, runtime_env={"env_vars": {
                         "ORT_DISABLE_TELEMETRY": "1", "RAY_USAGE_STATS_ENABLED": "0"}})
            init_s = time.perf_counter() - t
            t = time.perf_counter()
            ray.get(ray.remote(lambda: os.getpid()).remote())
            first_task_s = time.perf_counter() - t
            cold = run(["--ray", short, "--csv", out(), *short_args])
            warm = run(["--ray", short, "--csv", out(), *short_args])
            seconds = run(["--ray", whole, "--csv", out(), *model])
            ray.shutdown()
            rows.append((f"--ray, {workers} worker(s)", f"{init_s:.2f}", f"{first_task_s:.2f}",
                         frames / seconds, cold / args.short, warm / args.short))
    print(f"load average after:  {os.getloadavg()[0]:.2f}")
    print(f"\nfolder: {args.clips} x demo.mp4 (640x360, {CLIP_FRAMES} frames) = {frames} frames;"
          f" short: {args.short} recordings x {SHORT_FRAMES} frames\n")
    head = ("", "ray.init s", "1st task s", "folder frames/s", "s/recording cold",
            "s/recording warm")
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for name, init_s, task_s, fps, cold, warm in rows:
        cold_txt = cold if isinstance(cold, str) else f"{cold:.3f}"
        print(f"{name} | {init_s} | {task_s} | {fps:.1f} | {cold_txt} | {warm:.3f}")


if __name__ == "__main__":
    main()
