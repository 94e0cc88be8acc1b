"""What recording the live video costs the app: frames analysed per second and CPU, without and
with `--record-video`, on a live MJPEG stream served over loopback HTTP by the ffmpeg program.

    python benchmarks/live_recording_cost.py [CLIP] [--size 1280x720] [--fps 30] [--seconds 40]

Each run starts `ffmpeg -re -stream_loop -1 -i CLIP -f mpjpeg -listen 1` on 127.0.0.1, runs the
app (offscreen Qt) on it for `--seconds`, then reads its session store: analysed frames over the
session's duration (the live chain's rate), the process's CPU time over its wall time (% of one
core, start-up included), and with recording the video's frame count and size per hour.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(clip: str, size: str, fps: float, seconds: float, record: bool) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}/cam.mjpg"
    w, h = size.split("x")
    server = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", clip,
         "-vf", f"scale={w}:{h},fps={fps:g}", "-f", "mpjpeg", "-q:v", "4", "-listen", "1",
         url])
    time.sleep(1.0)
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "FER_COMPANION_DATA": data, "QT_QPA_PLATFORM": "offscreen",
               "PYTHONPATH": str(ROOT)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "app.ui.main", "--source", url, "--patient",
                        "P-BENCH", "--quit-after", str(seconds),
                        *(["--record-video"] if record else [])], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server.kill()
        server.wait()
        sys.path.insert(0, str(ROOT))
        from app.core.session.store import SessionStore

        with SessionStore(data) as store:
            [s] = store.list_sessions()
            out = {"fps": s.frames / s.duration_s if s.duration_s else 0.0,
                   "cpu": 100 * (after.ru_utime + after.ru_stime - before.ru_utime
                                 - before.ru_stime) / wall, "frames": s.frames}
            folder = store.video_dir(s.id)
            if folder.is_dir():
                size_b = sum(p.stat().st_size for p in folder.glob("seg-*.ts"))
                lines = (folder / "index.tsv").read_text().count("\n")
                out["video"] = (lines, size_b / s.duration_s * 3600 / 1e9)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", default=str(ROOT.parent / "shared" / "media"
                                                    / "WolfgangLanger_Pexels.mp4"))
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--seconds", type=float, default=40.0)
    args = ap.parse_args()
    if shutil.which("ffmpeg") is None:
        sys.exit("needs the ffmpeg program (Debian: apt-get install ffmpeg)")
    print(f"live MJPEG stream {args.size} at {args.fps:g} fps, {args.seconds:g} s per run\n")
    for record in (False, True):
        r = run(args.clip, args.size, args.fps, args.seconds, record)
        video = (f"; video: {r['video'][0]} frames of {r['frames']} analysed, "
                 f"{r['video'][1]:.2f} GB/hour") if "video" in r else ""
        print(f"{'with' if record else 'without'} --record-video: {r['fps']:.1f} frames "
              f"analysed per second, app CPU {r['cpu']:.0f}% of one core{video}")


if __name__ == "__main__":
    main()
