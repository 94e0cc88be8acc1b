"""Soak: the memory and database growth of a long session, faster than real time.

    python benchmarks/soak_session.py [--hours 2] [--fps 30]

Feeds synthetic FrameResults (one patient face, probabilities that change every frame, 10 %
of frames without a face) through what the app keeps per frame: the analysis worker's result
cache, the SessionModel's timeline buffer and signals, and the SessionRecording writing to a
real SessionStore (batched frames, a note every 2 minutes). Decoding and inference are left
out: their memory does not grow with the session. Prints the process's resident memory and the
database size (with its WAL) at every simulated 15 minutes, then the growth per hour.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.analysis.results import Face, FrameResult  # noqa: E402

CLASSES = ("happy", "sad", "surprise", "neutral")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def db_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) / 2**20


def frame(i: int, fps: float, rng: random.Random) -> FrameResult:
    t = i / fps
    if rng.random() < 0.1:
        return FrameResult(i, t)
    raw = [rng.random() for _ in CLASSES]
    total = sum(raw)
    probs = tuple(p / total for p in raw)
    label = CLASSES[max(range(len(CLASSES)), key=probs.__getitem__)]
    box = (300 + rng.randint(-5, 5), 120 + rng.randint(-5, 5), 260, 260)
    return FrameResult(i, t, (Face(box, 1, probs, label, True),), label, probs)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hours", type=float, default=2.0)
    p.add_argument("--fps", type=float, default=30.0)
    args = p.parse_args()

    from PySide6.QtCore import QCoreApplication

    from app.core.session.store import SessionStore
    from app.ui.frame_packet import ResultCache
    from app.ui.readers import SourceInfo
    from app.ui.session_model import SessionModel
    from app.ui.session_recording import SessionRecording

    class _Analyzer:  # what SessionMeta.from_analyzer reads
        classes, provider = CLASSES, "CPU"

        class classifier:  # noqa: N801
            path = Path("soak.onnx")

    app = QCoreApplication([])
    folder = Path(tempfile.mkdtemp(prefix="fer-soak-"))
    store = SessionStore(folder)
    n = int(args.hours * 3600 * args.fps)
    model = SessionModel()
    model.reset(SourceInfo("camera 0", "camera", True, False, args.fps, None), CLASSES, "CPU")
    recording = SessionRecording.start_new(store, model, _Analyzer, patient_code="P-SOAK",
                                           source="camera 0")
    cache = ResultCache(classes=CLASSES)  # as the worker keeps it
    rng = random.Random(1)
    gc.collect()
    base_rss, marks = rss_mb(), {}
    step = int(args.fps * 900)  # every simulated 15 minutes
    start = time.perf_counter()
    for i in range(n):
        r = frame(i, args.fps, rng)
        cache.put(r)
        model.add_result(r)
        if i % int(args.fps * 120) == 0:
            model.add_note(r.time_s, f"note at {r.time_s:.0f} s", rng.choice(CLASSES))
        if i % 3000 == 0:
            app.processEvents()
        if (i + 1) % step == 0:
            recording.flush()
            gc.collect()
            marks[(i + 1) / args.fps / 3600] = (rss_mb() - base_rss, db_mb(store.path))
            h, (mem, db) = list(marks.items())[-1]
            print(f"{h:5.2f} h  {i + 1:>9,} frames  memory +{mem:6.1f} MB  database {db:6.1f} MB",
                  flush=True)
    recording.close()
    store.close()
    seconds = time.perf_counter() - start
    hours = n / args.fps / 3600
    mem, db = marks[max(marks)] if marks else (rss_mb() - base_rss, db_mb(store.path))
    final_db = db_mb(store.path)
    print(f"{hours:g} h at {args.fps:g} frames/s ({n:,} frames) in {seconds:.0f} s: memory "
          f"+{mem:.1f} MB ({mem / hours:.1f} MB/h), database {final_db:.1f} MB after "
          f"checkpoint ({final_db / hours:.1f} MB/h)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
