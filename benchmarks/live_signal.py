"""The app on a live MJPEG stream: signal loss, return, delay and catch-up, measured.

    python benchmarks/live_signal.py [--clip VIDEO] [--fps 24] [--trials 3] [--ffmpeg | --rtsp]

Serves `--clip` (default: the bundled demo clip; 640x360, every frame carrying its number as a
bar code) as a live MJPEG-over-HTTP stream on 127.0.0.1 (tests/mjpeg_server.py), opens the
real main window on it (offscreen Qt, the shipped model, a temporary session store) and
measures, with the GUI event loop running:

- steady delay: how old the frame on screen is (now minus the time the server sent it),
  sampled every 0.1 s for 15 s;
- drop -> message: the server killed, until the video says "No signal"; and after an 8 s
  outage, return -> frames: the server back, until a new frame is on screen (same session);
- stall -> message and return -> frames for a 10 s stall (the connection kept, nothing sent);
- catch-up after a 10 s hold-up of the GUI thread (a busy disk), of a 10 s modal dialog, and
  of the analysis worker held for 10 s: the age of the first frame shown after it, and the
  time until the frame on screen is less than 0.5 s old again.

`--ffmpeg`: the stream comes from `ffmpeg -re -stream_loop -1 -i CLIP -f mpjpeg -listen 1`
instead (killed, restarted; stalled by SIGSTOP/SIGCONT): the signal figures only (its frames
carry no numbers, so no delay figures). `--rtsp`: the clip (re-encoded to H.264) from Debian's
GStreamer RTSP server (tests/rtsp_server.py, system python3), likewise.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from tests.mjpeg_server import MjpegServer, draw_number, read_number  # noqa: E402

DEMO = Path(__file__).resolve().parents[1] / "app" / "assets" / "demo.mp4"


def clip_frames(path: Path, n: int = 720) -> list[bytes]:
    """`n` numbered JPEGs of the clip (looped): 30 s at 24 fps, longer than any hold-up
    measured, so a frame number on screen names one sending."""
    cap = cv2.VideoCapture(str(path))
    out = []
    while len(out) < n:
        ok, img = cap.read()
        if not ok:
            if not out:
                raise SystemExit(f"{path}: no frame could be read")
            cap.release()
            cap = cv2.VideoCapture(str(path))
            continue
        img = cv2.resize(img, (640, 360))
        draw_number(img, len(out))
        out.append(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    cap.release()
    return out


class FfmpegServer:
    """ffmpeg serving `clip` as live MJPEG (one client, as `-listen 1` does)."""

    def __init__(self, clip: Path, port: int):
        self.clip, self.port, self.proc = clip, port, None
        self.frames, self.send_log = [b""], []
        self.url = f"http://127.0.0.1:{port}/cam.mjpg"

    def __enter__(self):
        self.restart()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.kill()

    def restart(self):
        self.proc = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "quiet", "-re", "-stream_loop", "-1", "-i",
             str(self.clip), "-q:v", "5", "-f", "mpjpeg", "-listen", "1", self.url])

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()

    def stall(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)


class Bench:
    def __init__(self, win, server, qapp):
        self.win, self.server, self.qapp = win, server, qapp
        self.n = len(getattr(server, "frames", ())) or 1

    def spin(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.qapp.processEvents()
            time.sleep(0.005)

    def until(self, cond, timeout: float = 30.0) -> float:
        """Seconds until `cond()` holds with the event loop running (nan: never)."""
        start = time.monotonic()
        while not cond():
            if time.monotonic() - start > timeout:
                return float("nan")
            self.qapp.processEvents()
            time.sleep(0.002)
        return time.monotonic() - start

    def age(self) -> float:
        """How long ago the server sent the frame now on screen."""
        packet = self.win.video.packet
        if packet is None:
            return float("nan")
        img = packet.image
        arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(
            img.height(), img.bytesPerLine() // 4, 4)[:, :img.width(), :3]
        number = read_number(arr)
        log = self.server.send_log
        for k in range(len(log) - 1, max(len(log) - 10 * self.n, -1), -1):
            if log[k][1] == number:  # its latest sending (the clip loops)
                return time.monotonic() - log[k][0]
        return float("nan")

    def lost(self) -> bool:
        return bool(self.win.video.signal_text)

    def catch_up(self, hold, resume=None) -> tuple[float, float]:
        """(age of the first frame shown after `hold()` (then `resume()`), seconds until one
        is < 0.5 s old)."""
        before = self.win.video.packet
        hold()
        if resume is not None:
            before = self.win.video.packet  # the last one before the hold took effect
            resume()
        end = time.monotonic()
        self.until(lambda: self.win.video.packet is not before, 10)
        first = self.age()
        self.until(lambda: self.age() < 0.5, 30)
        return first, time.monotonic() - end


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clip", type=Path, default=DEMO)
    p.add_argument("--fps", type=float, default=24.0)
    p.add_argument("--trials", type=int, default=3)
    p.add_argument("--ffmpeg", action="store_true", help="serve the clip with ffmpeg")
    p.add_argument("--rtsp", action="store_true", help="serve the clip with GStreamer RTSP")
    args = p.parse_args()
    args.rtsp = bool(args.rtsp)

    from PySide6.QtWidgets import QApplication

    from app.core.analysis.analyzer import Analyzer
    from app.core.analysis.sources import quiet_native_logs
    from app.core.session.store import SessionStore
    from app.ui.main_window import MainWindow

    quiet_native_logs()
    tmp_h264 = tempfile.TemporaryDirectory()
    if args.rtsp:
        from tests.rtsp_camera import RtspCamera

        clip = Path(tmp_h264.name) / "clip.mp4"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(args.clip),
                        "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "24", str(clip)],
                       check=True)
        serving = RtspCamera(clip)
        args.ffmpeg = True  # no numbered frames: the signal figures only
    elif args.ffmpeg:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        serving = FfmpegServer(args.clip, port)
    else:
        serving = MjpegServer(clip_frames(args.clip), fps=args.fps)
    qapp = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp, serving as server, \
            SessionStore(Path(tmp) / "s.sqlite3") as store:
        win = MainWindow(Analyzer(), server.url, store=store, patient_code="BENCH")
        win.show()
        b = Bench(win, server, qapp)
        b.until(lambda: win.video.packet is not None)
        b.spin(3.0)  # warm-up
        ages = []
        for _ in range(150 if not args.ffmpeg else 0):  # frames without numbers: no ages
            b.spin(0.1)
            ages.append(b.age())
        sid = win.sessions.session_id
        what = "GStreamer RTSP server, H.264" if args.rtsp else "MJPEG, ffmpeg -listen 1" \
            if args.ffmpeg else f"MJPEG, tests/mjpeg_server.py, 640x360, {args.fps:g} fps"
        print(f"{args.clip.name} live ({what}); app: "
              f"{win.status.rate.text().strip()} shown")
        if not args.ffmpeg:
            print(f"steady delay (age of the frame on screen): median "
                  f"{statistics.median(ages):.3f} s, 95th percentile "
                  f"{sorted(ages)[int(0.95 * len(ages))]:.3f} s, max {max(ages):.3f} s")

        drops, returns = [], []
        for _ in range(args.trials):
            server.kill()
            drops.append(b.until(b.lost, 10))
            b.spin(8.0 - drops[-1])
            shown = win.video.packet
            server.restart()
            returns.append(b.until(lambda s=shown: win.video.packet is not s and not b.lost(),
                                   15))
            b.spin(2.0)
        print(f"kill -> 'No signal' shown: {_list(drops)}")
        print(f"8 s outage, server back -> frames again: {_list(returns)}")
        server.stall()
        stall = b.until(b.lost, 10)
        b.spin(10.0 - stall)
        shown = win.video.packet
        server.resume()
        back = b.until(lambda: win.video.packet is not shown and not b.lost(), 15)
        print(f"10 s stall: 'No signal' after {stall:.2f} s; frames again {back:.2f} s after "
              "the stream resumed")
        b.spin(2.0)
        outages = win.model.outages()
        one = win.sessions.session_id == sid and len(store.list_sessions()) == 1
        print(f"one session throughout: {one}; {len(outages)} outages on the timeline, "
              f"{sum(o.duration() for o in outages):.1f} s without signal")

        if not args.ffmpeg:
            catch_ups(b, win)
        win.close()
    tmp_h264.cleanup()
    return 0


def catch_ups(b: Bench, win) -> None:
    """The three hold-ups (they need numbered frames to tell a frame's age)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    first, took = b.catch_up(lambda: time.sleep(10.0))
    print(f"GUI thread blocked 10 s: first frame after it {first:.2f} s old; "
          f"< 0.5 s old again after {took:.2f} s")
    b.spin(2.0)

    def dialog():
        box = QMessageBox(QMessageBox.Icon.Information, "Bench", "a 10 s modal dialog")
        QTimer.singleShot(10_000, box.accept)
        box.exec()

    first, took = b.catch_up(dialog)
    print(f"10 s modal dialog: first frame after it {first:.2f} s old; "
          f"< 0.5 s old again after {took:.2f} s")
    b.spin(2.0)

    def hold_worker():
        win.worker.pause()
        b.spin(10.0)

    first, took = b.catch_up(hold_worker, win.worker.play)
    print(f"analysis worker held 10 s: first frame after it {first:.2f} s old; "
          f"< 0.5 s old again after {took:.2f} s; "
          f"{win._feed.dropped if win._feed else 0} stale frames dropped in all")


def _list(values) -> str:
    return ", ".join(f"{v:.2f} s" for v in values) + \
        (f" (median {statistics.median(values):.2f} s)" if len(values) > 1 else "")


if __name__ == "__main__":
    sys.exit(main())
