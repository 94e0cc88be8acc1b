"""Live streams served by ffmpeg on 127.0.0.1 (installed by .ci/run; skipped without it):
MPEG-TS over HTTP is live and stamped on the wall clock, and `fer-analyze --reconnect` rides
out an ffmpeg MJPEG server killed and started again (issue 26)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import pytest

from app.core.analysis.sources import LiveOptions, open_source
from app.core.errors import SourceError

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ffmpeg_live(url: str, fmt: str, fps: int = 24, codec: str = "mjpeg") -> subprocess.Popen:
    """ffmpeg serving a synthetic 160x120 stream in real time to one client at `url`."""
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "quiet", "-re", "-f", "lavfi",
         "-i", f"testsrc=size=160x120:rate={fps}", "-t", "60", "-c:v", codec, "-q:v", "5",
         "-f", fmt, "-listen", "1", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def open_when_listening(url: str, options: LiveOptions):
    for _ in range(50):
        try:
            return open_source(url, live=options)
        except SourceError:
            time.sleep(0.1)
    raise AssertionError(f"ffmpeg never listened on {url}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)


def test_mpeg_ts_over_http_is_live_on_the_wall_clock():
    url = f"http://127.0.0.1:{free_port()}/live.ts"
    server = ffmpeg_live(url, "mpegts", codec="mpeg2video")
    try:
        with open_when_listening(url, LiveOptions(reconnect_s=0.0)) as src:
            assert src.live and src.frame_count is None
            feed = src.feed(keep="all")
            frames, start = [], None
            while len(frames) < 36:
                frame = feed.get(2.0)
                assert frame is not None, "no frame within 2 s"
                start = start or time.monotonic()
                frames.append(frame)
            wall = time.monotonic() - start
    finally:
        stop(server)
    assert [f.index for f in frames] == list(range(36))
    # arrival times span the wall-clock time the frames took to come (after the first)
    assert frames[-1].time_s - frames[0].time_s == pytest.approx(wall, abs=0.15)


def test_fer_analyze_rides_out_an_ffmpeg_server_killed_and_restarted(tiny_model, tmp_path,
                                                                     capsys):
    from app.core.cli import main
    from app.core.report.frames_csv import read_frames_csv

    url = f"http://127.0.0.1:{free_port()}/cam.mjpg"
    out = tmp_path / "ff.csv"
    servers = [ffmpeg_live(url, "mpjpeg")]

    def blip():
        end = time.monotonic() + 30
        while time.monotonic() < end and (not out.exists() or
                                          len(out.read_text().splitlines()) < 27):
            time.sleep(0.05)  # 25 rows flushed: frames are flowing
        stop(servers[0])
        time.sleep(1.0)
        servers.append(ffmpeg_live(url, "mpjpeg"))

    thread = threading.Thread(target=blip, daemon=True)
    time.sleep(0.5)  # ffmpeg starts listening
    thread.start()
    try:
        code = main([url, "--model", str(tiny_model), "--csv", str(out), "--stall", "0.5",
                     "--reconnect", "10", "--max-frames", "80"])
        thread.join(10)
    finally:
        for s in servers:
            stop(s)
    io = capsys.readouterr()
    assert code == 0, io.err
    rows = read_frames_csv(out).rows
    assert [r.frame for r in rows] == list(range(80))
    gaps = [r.no_signal_s for r in rows if r.no_signal_s is not None]
    assert len(gaps) == 1 and gaps[0] > 0.9
    assert "signal      1 outage" in io.out
