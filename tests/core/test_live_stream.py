"""Live sources against a real MJPEG-over-HTTP server on 127.0.0.1 (issue 26): arrival-clock
time, signal loss, reconnection and outages, `fer-analyze` on a stream that stops or comes
back, and a camera that fails mid-way (a fake capture). Thresholds are made short through
`LiveOptions` / `--stall`, so each test takes seconds."""

from __future__ import annotations

import csv
import threading
import time

import numpy as np
import pytest

from app.core.analysis.live_feed import LiveFeed, Outage, clock_text
from app.core.analysis.sources import LiveOptions, open_source
from app.core.session.outages import (
    SIGNAL_BACK,
    SIGNAL_LOST,
    SignalSummary,
    gaps_before,
    outage_events,
    outages_from_events,
)
from tests.mjpeg_server import FAST_LIVE, MjpegServer, read_number


def wait_for(cond, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def drain(feed, until, frames):
    """Take frames from `feed` into `frames` until `until()` holds."""
    end = time.monotonic() + 15
    while not until():
        assert time.monotonic() < end, "feed never got there"
        if (f := feed.get(0.05)) is not None:
            frames.append(f)


def test_live_stream_is_live_and_stamped_at_arrival(jpegs):
    """A 12 fps MJPEG stream: OpenCV's own times would run at half speed (it assumes 25
    fps); the arrival clock follows the server's sending times."""
    with MjpegServer(jpegs, fps=12) as server, open_source(server.url, live=FAST_LIVE) as src:
        assert src.live and src.kind == "stream" and src.fps is None
        feed = src.feed(keep="all")
        frames = []
        drain(feed, lambda: len(frames) >= 18, frames)
        sent = list(server.send_times)
    numbers = [read_number(f.image) for f in frames]
    assert numbers == list(range(numbers[0], numbers[0] + len(frames)))  # none lost
    t0, s0 = frames[0].time_s, sent[numbers[0]]
    drift = [abs((f.time_s - t0) - (sent[n] - s0)) for f, n in zip(frames, numbers, strict=True)]
    assert max(drift) < 0.25  # frame-count time would be 0.7 s off by frame 17
    assert frames[-1].time_s - t0 > 17 / 12 - 0.25


def test_kill_and_restart_is_one_outage_in_one_feed(server):
    with open_source(server.url, live=FAST_LIVE) as src:
        feed = src.feed(keep="all")
        frames = []
        drain(feed, lambda: len(frames) >= 10, frames)
        server.kill()
        drain(feed, lambda: feed.state().lost_since_s is not None, frames)
        state = feed.state()
        assert not state.live and state.reason == "read error" and not state.ended
        assert state.lost_since_s == pytest.approx(frames[-1].time_s)
        time.sleep(0.6)  # a few reopening attempts against a closed port
        assert feed.state().attempts >= 2
        server.restart()
        before = len(frames)
        drain(feed, lambda: len(frames) >= before + 5, frames)
    assert [f.index for f in frames] == list(range(len(frames)))  # indices go on
    times = [f.time_s for f in frames]
    assert times == sorted(times)
    [outage] = src.outages
    assert outage.start_s == pytest.approx(times[before - 1])
    assert outage.end_s == pytest.approx(times[before])
    assert outage.duration() > 0.6


def test_a_stall_is_a_loss_and_the_same_connection_goes_on(server):
    with open_source(server.url, live=LiveOptions(stall_s=0.3, backoff=(0.1, 0.4),
                                                  read_timeout_s=5.0)) as src:
        feed = src.feed(keep="all")
        frames = []
        drain(feed, lambda: len(frames) >= 5, frames)
        server.stall()
        drain(feed, lambda: feed.state().lost_since_s is not None, frames)
        assert feed.state().reason == "no frame for 0.3 s"
        time.sleep(0.4)
        server.resume()
        drain(feed, lambda: feed.state().live and len(frames) > 8, frames)
    assert server.connections == 1  # the stall did not cost the connection
    [outage] = src.outages
    assert outage.end_s is not None and outage.duration() > 0.5


def test_newest_only_drops_stale_frames_and_counts_them(server):
    with open_source(server.url, live=FAST_LIVE) as src:
        feed = src.feed(keep="newest")
        wait_for(lambda: feed.frames_received >= 3, what="first frames")
        time.sleep(0.5)  # the consumer is held up (a dialog): ~12 frames arrive meanwhile
        frame = feed.get(1.0)
        assert frame.index == feed.frames_received - 1  # the present, not the backlog
        assert feed.dropped >= 8
        assert feed.now_s() - frame.time_s < 0.2


def test_without_reconnect_a_loss_ends_the_source_with_stream_stopped(server):
    from app.core.errors import StreamStopped

    opts = LiveOptions(stall_s=0.4, reconnect_s=0.0, read_timeout_s=1.0)
    with open_source(server.url, live=opts) as src:
        frames = []
        with pytest.raises(StreamStopped, match=r"stream stopped delivering frames at "
                                                r"00:00:\d\d\.\d \(\d+ frames\)"):
            for f in src:
                frames.append(f)
                if len(frames) == 6:
                    server.kill()
    assert len(frames) >= 6 and src.decoded == len(frames)


class FakeCamera:
    """A camera driver: `script` says, per opening, how many frames it delivers before its
    reads fail (None: cannot open at all)."""

    def __init__(self, script, fps=50.0):
        self.script, self.fps, self.opened = list(script), fps, 0
        self.lock = threading.Lock()

    def capture(self, index):
        with self.lock:
            n = self.script.pop(0) if self.script else None
            self.opened += 1
        return _FakeCapture(n, self.fps)


class _FakeCapture:
    def __init__(self, frames, fps):
        self.left, self.fps = frames, fps
        self.image = np.full((48, 64, 3), 120, np.uint8)

    def isOpened(self):  # noqa: N802 (cv2's name)
        return self.left is not None

    def get(self, prop):
        return 0.0

    def read(self):
        time.sleep(1 / self.fps)
        if not self.left:
            return False, None  # the camera was unplugged
        self.left -= 1
        return True, self.image

    def release(self):
        pass


@pytest.fixture
def fake_camera(monkeypatch):
    def install(script, fps=50.0):
        cam = FakeCamera(script, fps)
        monkeypatch.setattr("app.core.analysis.sources._camera_capture", cam.capture)
        return cam

    return install


def test_a_camera_failing_mid_way_is_reopened(fake_camera):
    cam = fake_camera([10, None, None, 10, None])  # 10 frames, unplugged, 2 failed opens, back
    with open_source(0, live=FAST_LIVE) as src:
        assert src.live and src.kind == "camera"
        feed = src.feed(keep="all")
        frames = []
        drain(feed, lambda: len(frames) >= 20, frames)
    assert cam.opened >= 4
    outage = src.outages[0]  # (the second opening's end may have begun another)
    assert outage.start_s == pytest.approx(frames[9].time_s)
    assert outage.end_s == pytest.approx(frames[10].time_s)


def test_outages_as_events_and_back():
    outages = [Outage(1.0, 3.5), Outage(10.0, None)]
    events = [e for o in outages for e in outage_events(o, "read error")]
    assert [e.kind for e in events] == [SIGNAL_LOST, SIGNAL_BACK, SIGNAL_LOST]
    assert outages_from_events(reversed(events)) == outages
    assert outages_from_events(events, end_s=12.0)[-1] == Outage(10.0, 12.0)
    assert SignalSummary.of(outages_from_events(events, 12.0)).text() == \
        "2 outages, 4.5 s without signal"
    assert gaps_before([0.5, 1.0, 3.5, 4.0], [Outage(1.0, 3.5)]) == [None, None, 2.5, None]


def test_clock_text_cuts_like_a_clock():
    assert clock_text(29.19) == "00:00:29.1"
    assert clock_text(3723.05) == "01:02:03.0"


def test_feed_rejects_an_unknown_keep():
    with pytest.raises(ValueError):
        LiveFeed(None, lambda: None, keep="some")


# -- fer-analyze on a live stream ---------------------------------------------------------------
def run_cli(args, capsys):
    from app.core.cli import main

    code = main(args)
    return code, capsys.readouterr()


def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def kill_after(server, frames, restart_after=None):
    """Kill `server` once it sent `frames` frames (a client is reading), maybe restart it."""
    def run():
        wait_for(lambda: server.sent >= frames, timeout=30, what="a client")
        server.kill()
        if restart_after is not None:
            time.sleep(restart_after)
            server.restart()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_fer_analyze_on_a_stream_that_stops(server, tiny_model, tmp_path, capsys):
    out = tmp_path / "s.csv"
    kill_after(server, 20)
    code, io = run_cli([server.url, "--model", str(tiny_model), "--csv", str(out),
                        "--stall", "0.5"], capsys)
    assert code == 3
    lines = [x for x in io.err.splitlines() if x.strip()]
    assert len(lines) == 1, lines
    assert "stream stopped delivering frames at 00:00:0" in lines[0]
    rows = csv_rows(out)
    n = int(lines[0].split("(")[1].split()[0])
    assert len(rows) == n + 1 and rows[0][-1] == "no_signal_s"
    assert all(len(r) == len(rows[0]) for r in rows)  # ends on a whole row
    assert out.read_text().endswith("\n")


def test_fer_analyze_reconnects_and_writes_the_gap(server, tiny_model, tmp_path, capsys):
    from app.core.report.frames_csv import read_frames_csv

    out = tmp_path / "r.csv"
    kill_after(server, 20, restart_after=1.0)
    code, io = run_cli([server.url, "--model", str(tiny_model), "--csv", str(out),
                        "--stall", "0.5", "--reconnect", "5", "--max-frames", "60"], capsys)
    assert code == 0, io.err
    table = read_frames_csv(out)
    assert [r.frame for r in table.rows] == list(range(60))
    gaps = [(r.frame, r.no_signal_s) for r in table.rows if r.no_signal_s is not None]
    assert len(gaps) == 1 and gaps[0][1] > 0.8
    k = gaps[0][0]
    # all three figures are written to the millisecond, so they may differ by one rounding step
    assert table.rows[k].time_s - table.rows[k - 1].time_s == pytest.approx(gaps[0][1],
                                                                              abs=1.5e-3)
    assert "signal      1 outage, " in io.out


def test_fer_analyze_time_follows_the_wall_clock_at_12_fps(jpegs, tiny_model, tmp_path,
                                                          capsys):
    from app.core.report.frames_csv import read_frames_csv

    out = tmp_path / "w.csv"
    with MjpegServer(jpegs, fps=12) as server:
        code, io = run_cli([server.url, "--model", str(tiny_model), "--csv", str(out),
                            "--max-frames", "24"], capsys)
        sent = list(server.send_times)
    assert code == 0, io.err
    times = [r.time_s for r in read_frames_csv(out).rows]
    assert len(times) == 24
    # the server's 24 frames went out over 23/12 s; the CSV says the same (OpenCV: 0.92 s)
    assert times[-1] - times[0] == pytest.approx(sent[23] - sent[0], abs=0.25)


def test_fer_analyze_camera_failing_mid_way(fake_camera, tiny_model, tmp_path, capsys):
    from app.core.report.frames_csv import read_frames_csv

    fake_camera([10, None, 10, None])
    out = tmp_path / "c.csv"
    code, io = run_cli(["0", "--model", str(tiny_model), "--csv", str(out), "--stall", "0.5",
                        "--reconnect", "2"], capsys)
    assert code == 3
    assert "camera 0: stream stopped delivering frames at 00:00:" in io.err
    assert "(20 frames)" in io.err
    table = read_frames_csv(out)
    assert len(table.rows) == 20
    assert [r.frame for r in table.rows if r.no_signal_s is not None] == [10]


def test_no_first_frame_is_no_signal_but_no_outage(fake_camera):
    """A camera that opens but never delivers: no signal, reconnecting; the session clock has
    not begun, so there is no outage to record until the first frame comes."""
    cam = fake_camera([0, None, 1000])
    with open_source(0, live=FAST_LIVE) as src:
        feed = src.feed(keep="all")
        wait_for(lambda: feed.state().lost_since_s is not None, what="the loss")
        assert feed.state().lost_since_s == 0.0 and src.outages == []
        frames = []
        drain(feed, lambda: len(frames) >= 5, frames)
    assert frames[0].time_s == 0.0 and src.outages == [] and cam.opened >= 3
