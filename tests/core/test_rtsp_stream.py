"""RTSP, what observation-room cameras speak (issue 26): Debian's GStreamer RTSP server on
127.0.0.1 (tests/rtsp_server.py, run by the system python) serving a looped H.264 clip. Skipped
where its packages (python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good/-bad)
or ffmpeg with libx264 are missing."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.rtsp_camera import SYSTEM_PYTHON, RtspCamera


def _rtsp_server_available() -> bool:
    if shutil.which("ffmpeg") is None or not Path(SYSTEM_PYTHON).exists():
        return False
    probe = ("import gi; gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
             "assert Gst.ElementFactory.find('h264parse') and Gst.ElementFactory.find('qtdemux')")
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _rtsp_server_available(),
                                reason="GStreamer RTSP server or ffmpeg/libx264 not installed")


@pytest.fixture(scope="module")
def h264_clip(tmp_path_factory):
    clip = tmp_path_factory.mktemp("rtsp") / "clip.mp4"
    done = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                           "-i", "testsrc=size=160x120:rate=12", "-t", "10", "-c:v", "libx264",
                           "-pix_fmt", "yuv420p", "-g", "12", str(clip)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("ffmpeg cannot encode H.264 here")
    return clip


@pytest.fixture
def camera(h264_clip):
    cam = RtspCamera(h264_clip)
    cam.start()
    yield cam
    cam.kill()


def test_rtsp_is_live_on_the_arrival_clock(camera):
    from app.core.analysis.sources import LiveOptions, open_source

    with open_source(camera.url, live=LiveOptions(reconnect_s=0.0)) as src:
        assert src.live and src.frame_count is None  # a camera, though the server loops a file
        feed = src.feed(keep="all")
        frames = []
        while len(frames) < 60:
            frame = feed.get(3.0)
            assert frame is not None, "no frame within 3 s"
            frames.append(frame)
    times = [f.time_s for f in frames]
    assert times == sorted(times)
    # after the frames buffered while opening, 12 frames a second of arrival time
    assert times[59] - times[35] == pytest.approx(24 / 12, abs=0.3)


def test_fer_analyze_rides_out_an_rtsp_camera_restarted(camera, tiny_model, tmp_path, capsys):
    from app.core.cli import main
    from app.core.report.frames_csv import read_frames_csv

    out = tmp_path / "rtsp.csv"

    def blip():
        end = time.monotonic() + 30
        while time.monotonic() < end and (not out.exists() or
                                          len(out.read_text().splitlines()) < 27):
            time.sleep(0.05)
        camera.kill()
        time.sleep(1.0)
        camera.start()

    thread = threading.Thread(target=blip, daemon=True)
    thread.start()
    code = main([camera.url, "--model", str(tiny_model), "--csv", str(out), "--stall", "0.5",
                 "--reconnect", "10", "--max-frames", "60"])
    thread.join(10)
    io = capsys.readouterr()
    assert code == 0, io.err
    rows = read_frames_csv(out).rows
    assert [r.frame for r in rows] == list(range(60))
    assert len([r for r in rows if r.no_signal_s is not None]) == 1
    assert "signal      1 outage" in io.out
