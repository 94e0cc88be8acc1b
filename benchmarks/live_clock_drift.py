"""Clock drift of live MJPEG streams: session time (arrival clock) against stream time.

    python benchmarks/live_clock_drift.py [--minutes 10] [--fps 12 24 30]

For each rate, ffmpeg serves a synthetic MJPEG stream paced in real time (`-re`, lavfi
testsrc, 320x240) over HTTP on 127.0.0.1 (`-f mpjpeg -listen 1`), and a `LiveFeed` reads it
exactly as the app and fer-analyze do (all rates at once, one thread each). At the end, per
rate: frames received N, the session time of the last frame against the stream's own time
(N - 1) / fps, and the same for what OpenCV's frame-count timestamps (CAP_PROP_POS_MSEC, an
assumed 25 fps) would have said. Needs ffmpeg on the PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.analysis.sources import LiveOptions, open_source, quiet_native_logs  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(fps: int, port: int, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
         "-i", f"testsrc=size=320x240:rate={fps}", "-t", f"{seconds + 30:.0f}", "-q:v", "6",
         "-f", "mpjpeg", "-listen", "1", f"http://127.0.0.1:{port}/cam.mjpg"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def measure(fps: int, seconds: float, out: dict) -> None:
    port = free_port()
    server = serve(fps, port, seconds)
    try:
        src = None
        for _ in range(50):  # ffmpeg needs a moment to listen
            try:
                src = open_source(f"http://127.0.0.1:{port}/cam.mjpg",
                                  live=LiveOptions(reconnect_s=0.0))
                break
            except Exception:
                time.sleep(0.1)
        if src is None:
            out[fps] = "could not connect"
            return
        feed = src.feed(keep="all")
        first = last = None
        n = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            frame = feed.get(0.5)
            if frame is None:
                continue
            first = frame if first is None else first
            last, n = frame, n + 1
        lost = len(feed.outages)
        src.close()
        session = last.time_s - first.time_s
        stream = (n - 1) / fps
        opencv = (n - 1) / 25.0
        out[fps] = (n, session, stream, opencv, feed.dropped, lost)
    finally:
        server.kill()
        server.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--fps", type=int, nargs="+", default=[12, 24, 30])
    args = p.parse_args()
    if shutil.which("ffmpeg") is None:
        print("ffmpeg is not installed: nothing to measure", file=sys.stderr)
        return 1
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    quiet_native_logs()
    seconds = args.minutes * 60
    results: dict = {}
    threads = [threading.Thread(target=measure, args=(f, seconds, results)) for f in args.fps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"MJPEG over HTTP (ffmpeg -re, 320x240), {args.minutes:g} min per rate, read "
          "by LiveFeed (arrival clock)")
    print(f"{'fps':>4} {'frames':>7} {'session s':>10} {'stream s':>9} {'drift':>8} "
          f"{'OpenCV s':>9} {'OpenCV drift':>12} {'dropped':>7} {'outages':>7}")
    for fps in args.fps:
        r = results.get(fps)
        if not isinstance(r, tuple):
            print(f"{fps:>4} {r}")
            continue
        n, session, stream, opencv, dropped, lost = r
        print(f"{fps:>4} {n:>7} {session:>10.2f} {stream:>9.2f} "
              f"{100 * (session - stream) / stream:>+7.3f}% {opencv:>9.2f} "
              f"{100 * (opencv - stream) / stream:>+11.1f}% {dropped:>7} {lost:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
