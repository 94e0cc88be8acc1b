"""Which codec records a live session's video: size per hour and CPU per frame of every video
encoder the installed OpenCV/FFmpeg offers, at 640x360 and 1280x720, and of the recorder itself.

    python benchmarks/video_recorder.py [CLIP] [--frames 240]

CLIP defaults to ../shared/media/WolfgangLanger_Pexels.mp4 (a 640x360 interview clip; its 720p
rows are the clip scaled up, so they understate the size of a true 720p camera). Figures are
per frame of CPU time in this process (the encoder runs in the caller's thread; VP8/VP9 on the
first 30 frames only, they take seconds each) and the size extrapolated to one hour at 30
frames per second. The last rows time `VideoRecorder` as the app uses it (its own thread,
MPEG-TS segments), frames offered in real time at 30 fps as a live source does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402

from app.core.session.video import VideoRecorder  # noqa: E402

CANDIDATES = [  # (name, container, fourcc): what OpenCV's bundled FFmpeg writes here
    ("MPEG-4 part 2", "ts", "mp4v"), ("MPEG-4 part 2", "mkv", "mp4v"),
    ("MPEG-2", "ts", "mpg2"), ("Motion JPEG", "mkv", "MJPG"), ("VP8", "mkv", "VP80"),
    ("VP9", "mkv", "VP90"), ("H.264", "mkv", "avc1"),
]
FPS = 30.0
SLOW = {"VP80", "VP90"}


def read_frames(clip: Path, n: int) -> list:
    cap = cv2.VideoCapture(str(clip))
    frames = []
    while len(frames) < n:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    if not frames:
        sys.exit(f"cannot read frames from {clip}")
    return frames


def encode(frames, size, container, fourcc, folder) -> tuple[float, float] | None:
    if fourcc in SLOW:
        frames = frames[:30]  # seconds per frame: a few tell enough
    path = Path(folder) / f"bench.{container}"
    w = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*fourcc), FPS, size)
    if not w.isOpened():
        return None
    t = time.process_time()
    for f in frames:
        w.write(f)
    w.release()
    cpu_ms = (time.process_time() - t) / len(frames) * 1000
    gb_h = path.stat().st_size / len(frames) * FPS * 3600 / 1e9
    path.unlink()
    return cpu_ms, gb_h


def recorder(frames, folder) -> tuple[float, float, int]:
    """Frames offered at 30 fps in real time, as a live source does; CPU of all threads."""
    rec = VideoRecorder(Path(folder) / "rec", fps=FPS)
    t, start = time.process_time(), time.monotonic()
    for i, f in enumerate(frames):
        time.sleep(max(0.0, start + i / FPS - time.monotonic()))
        rec.offer(f, i, i / FPS)
    rec.close()
    cpu_ms = (time.process_time() - t) / len(frames) * 1000
    size = sum(p.stat().st_size for p in (Path(folder) / "rec").iterdir())
    return cpu_ms, size / len(frames) * FPS * 3600 / 1e9, rec.dropped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared"
                                                    / "media" / "WolfgangLanger_Pexels.mp4"))
    ap.add_argument("--frames", type=int, default=240)
    args = ap.parse_args()
    frames = read_frames(Path(args.clip), args.frames)
    print(f"{len(frames)} frames of {args.clip}; OpenCV {cv2.__version__}; "
          f"{os.cpu_count()} CPUs\n")
    print(f"{'size':>9}  {'codec':<14} {'cont.':<5} {'CPU ms/frame':>12} {'% core @30fps':>13} "
          f"{'GB/hour':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in ((640, 360), (1280, 720)):
            scaled = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
            for name, container, fourcc in CANDIDATES:
                got = encode(scaled, size, container, fourcc, tmp)
                label = f"{size[0]}x{size[1]}"
                if got is None:
                    print(f"{label:>9}  {name:<14} {container:<5} {'not offered':>12}")
                    continue
                ms, gb = got
                print(f"{label:>9}  {name:<14} {container:<5} {ms:12.1f} {ms * FPS / 10:12.0f}% "
                      f"{gb:8.2f}")
            ms, gb, dropped = recorder(scaled, tmp)
            print(f"{size[0]}x{size[1]:<5}  VideoRecorder  (thread, 4-s TS segments): "
                  f"{ms:.1f} ms/frame ({ms * FPS / 10:.0f}% of a core at 30 fps), "
                  f"{gb:.2f} GB/hour, {dropped} dropped")
            for p in (Path(tmp) / "rec").iterdir():
                p.unlink()


if __name__ == "__main__":
    main()
