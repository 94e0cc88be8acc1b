"""Network streams keep the media's own timestamps (issue 13.6): a recording served over HTTP
ends at its real length, not at the few seconds it took to download."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from app.core.analysis.sources import _StreamClock, open_source


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_clip(tmp_path, make_scene, make_video):
    """A 60-frame 25 fps clip served on 127.0.0.1 by a local server stopped after the test."""
    make_video(tmp_path / "clip.mp4", [make_scene([(100 + i, 60, 150)]) for i in range(60)],
               fps=25.0)
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/clip.mp4"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_http_recording_uses_media_timestamps(http_clip):
    with open_source(http_clip, open_timeout_s=5) as src:
        assert src.kind == "stream"
        times = [f.time_s for f in src]
    assert len(times) == 60
    assert times == pytest.approx([i / 25 for i in range(60)], abs=1e-3)


def test_http_recording_through_fer_analyze(http_clip, tiny_model, tmp_path):
    from app.core.cli import main
    from app.core.report.frames_csv import read_frames_csv

    out = tmp_path / "h.csv"
    assert main([http_clip, "--model", str(tiny_model), "--csv", str(out)]) == 0
    assert read_frames_csv(out).rows[-1].time_s == pytest.approx(59 / 25, abs=1e-3)


def test_stream_clock_without_timestamps_uses_the_wall_clock(monkeypatch):
    wall = iter([100.0, 100.5, 101.0, 101.2])
    monkeypatch.setattr("app.core.analysis.sources.time.monotonic", lambda: next(wall))
    clock = _StreamClock()
    assert [clock.time(0.0) for _ in range(4)] == pytest.approx([0.0, 0.5, 1.0, 1.2])


def test_stream_clock_counts_a_live_clock_from_the_first_frame():
    clock = _StreamClock()
    assert [clock.time(t) for t in (5000.0, 5000.04, 5000.08)] == pytest.approx(
        [0.0, 0.04, 0.08])
    times = [clock.time(t) for t in (float("nan"), 5000.2)]
    assert times[0] > 0.08 and times[1] == pytest.approx(0.2)
