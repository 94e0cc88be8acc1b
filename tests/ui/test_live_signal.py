"""The live interview survives the network (issue 26), driven through the window against a
real MJPEG-over-HTTP server on 127.0.0.1: a kill and restart, a 10 s stall with the app's
own thresholds, a slow 12 fps stream, a camera failing mid-way (a fake capture). One session
throughout, the outage on the record, notes during it stamped on the running clock."""

from __future__ import annotations

import time

import pytest

from app.core.analysis.sources import open_source
from app.core.session.outages import SIGNAL_BACK, SIGNAL_LOST
from tests.core.test_live_stream import FakeCamera
from tests.mjpeg_server import FAST_LIVE, MjpegServer


@pytest.fixture
def live_window(qtbot, analyzer, store):
    """`live_window(source)`: the window on a live source, recording to a temporary store."""
    from app.ui.main_window import MainWindow

    made = []

    def make(source):
        win = MainWindow(analyzer, source, store=store, patient_code="P-026")
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.video.packet is not None, timeout=10_000)
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()


def lost(win) -> bool:
    return win._feed is not None and win._feed.lost_since_s is not None


def test_kill_and_restart_keeps_one_session(qtbot, live_window, server, store):
    win = live_window(open_source(server.url, live=FAST_LIVE))
    sid = win.sessions.session_id
    qtbot.waitUntil(lambda: win.model.buffer.analysed >= 10, timeout=10_000)
    server.kill()
    qtbot.waitUntil(lambda: lost(win), timeout=5000)
    since = win._feed.lost_since_s
    assert win.video.signal_text.startswith("No signal since")
    assert "reconnecting" in win.video.signal_text
    assert win.transport.live_label.text() == "● NO SIGNAL"
    assert win.status.signal.text().startswith("No signal since")
    assert not win.finished.isVisibleTo(win)  # a lost signal is not the end
    qtbot.wait(500)
    note = win.model.add_note(win.note_time(), "said while the picture was gone")
    assert note.time_s > since + 0.3  # the clock runs on; not the frozen frame's time
    assert win.model.position > since  # and the playhead follows it
    frames_before = win.model.buffer.analysed
    server.restart()
    qtbot.waitUntil(lambda: not lost(win) and win.model.buffer.analysed > frames_before + 5,
                    timeout=10_000)
    assert win.sessions.session_id == sid and len(store.list_sessions()) == 1
    assert win.transport.live_label.text() == "● LIVE" and win.video.signal_text == ""
    [outage] = win.model.outages()
    assert outage.start_s == pytest.approx(since) and outage.end_s > note.time_s
    assert [lab.text for lab in win.model.note_labels()] == ["no signal"]
    assert win.timeline.outage_band_count() == 1
    win.sessions.recording.flush()
    loaded = store.load_session(sid)
    kinds = [e.kind for e in loaded.events]
    assert kinds == [SIGNAL_LOST, SIGNAL_BACK]
    times = [f.time_s for f in loaded.frames]
    assert times == sorted(times) and [f.index for f in loaded.frames] == list(
        range(len(times)))
    assert any(f.time_s >= outage.end_s for f in loaded.frames)  # the same session went on


def test_export_counts_the_outage(qtbot, live_window, server, store, tmp_path):
    from app.core.report.frames_csv import read_frames_csv

    win = live_window(open_source(server.url, live=FAST_LIVE))
    qtbot.waitUntil(lambda: win.model.buffer.analysed >= 5, timeout=10_000)
    server.kill()
    qtbot.waitUntil(lambda: lost(win), timeout=5000)
    server.restart()
    qtbot.waitUntil(lambda: len(win.model.outages()) == 1 and win.model.outages()[0].end_s
                    is not None and win.model.buffer.analysed > 10, timeout=10_000)
    path = tmp_path / "live_frames.csv"
    with qtbot.waitSignal(win.sessions.sigExported, timeout=20_000):
        win.export_csv(path)
    gaps = [r.no_signal_s for r in read_frames_csv(path).rows if r.no_signal_s is not None]
    assert len(gaps) == 1 and gaps[0] == pytest.approx(win.model.outages()[0].duration(),
                                                       abs=2e-3)


def test_a_ten_second_stall_with_the_apps_own_thresholds(qtbot, live_window, server, store):
    """The realistic one: default LiveOptions (2 s to a loss, a stalled connection kept 15 s),
    a server that sends nothing for 10 s and then goes on on the same connection."""
    win = live_window(server.url)
    sid = win.sessions.session_id
    qtbot.waitUntil(lambda: win.model.buffer.analysed >= 10, timeout=10_000)
    server.stall()
    stalled = time.monotonic()
    qtbot.waitUntil(lambda: lost(win), timeout=6000)
    assert "no frame for 2 s" in win._feed.reason
    qtbot.waitUntil(lambda: time.monotonic() - stalled > 10, timeout=12_000)
    before = win.model.buffer.analysed
    server.resume()
    qtbot.waitUntil(lambda: not lost(win) and win.model.buffer.analysed > before,
                    timeout=5000)  # frames again within 5 s of the return
    assert win.sessions.session_id == sid and len(store.list_sessions()) == 1
    assert server.connections == 1
    [outage] = win.model.outages()
    assert outage.duration() > 9


def test_twelve_fps_session_time_follows_the_wall_clock(qtbot, live_window, jpegs):
    with MjpegServer(jpegs, fps=12) as server:
        win = live_window(open_source(server.url, live=FAST_LIVE))
        qtbot.waitUntil(lambda: win.model.buffer.analysed >= 2, timeout=10_000)
        start_t, start_wall = win.model.position, time.monotonic()
        qtbot.waitUntil(lambda: time.monotonic() - start_wall > 2.0, timeout=5000)
        run_t, run_wall = win.model.position - start_t, time.monotonic() - start_wall
    # frame-count time would show 2.0 s of stream as 0.96 s
    assert run_t == pytest.approx(run_wall, abs=0.3)


def test_a_camera_failing_mid_way_keeps_the_session(qtbot, live_window, store, monkeypatch):
    cam = FakeCamera([15, None, None, 10_000], fps=30)
    monkeypatch.setattr("app.core.analysis.sources._camera_capture", cam.capture)
    win = live_window(open_source(0, live=FAST_LIVE))
    sid = win.sessions.session_id
    qtbot.waitUntil(lambda: lost(win), timeout=10_000)
    qtbot.waitUntil(lambda: not lost(win) and win.model.buffer.analysed > 15, timeout=10_000)
    assert win.sessions.session_id == sid and len(store.list_sessions()) == 1
    assert len(win.model.outages()) == 1 and cam.opened >= 3
    assert not win.finished.isVisibleTo(win)


def test_delay_and_stale_frames_in_the_status_bar(qtbot, live_window, server):
    win = live_window(open_source(server.url, live=FAST_LIVE))
    qtbot.waitUntil(lambda: win.model.buffer.analysed >= 5, timeout=10_000)
    win.worker.pause()  # the worker held up (as by a busy GUI): frames pile up at the source
    shown = None
    while shown is not win.video.packet:  # a frame on its way when the pause came lands first
        shown = win.video.packet
        qtbot.wait(300)
    qtbot.wait(600)
    win.worker.play()
    buffer = win.model.buffer
    qtbot.waitUntil(lambda: buffer.count > shown.index + 1, timeout=5000)
    # indices stay dense: the next frame analysed is the next index ...
    assert buffer._done[shown.index + 1]
    # ... and it is the present, not the next frame of a backlog (that one arrived 1/24 s after)
    assert buffer.x()[shown.index + 1] - shown.time_s > 0.5
    win.status.tick()
    assert win.status.signal.isVisible()
    assert "delay" in win.status.signal.text() and "stale dropped" in win.status.signal.text()
    qtbot.waitUntil(lambda: win._feed is not None and win._feed.dropped >= 5, timeout=3000)


def test_only_the_clinician_ends_a_live_session(qtbot, live_window, server, store):
    win = live_window(open_source(server.url, live=FAST_LIVE))
    qtbot.waitUntil(lambda: win.model.buffer.analysed >= 5, timeout=10_000)
    server.kill()
    qtbot.waitUntil(lambda: lost(win), timeout=5000)
    qtbot.wait(300)
    assert not win.finished.isVisibleTo(win) and win.worker is not None  # still trying
    win.actions_by_text["End session"].trigger()
    assert win.worker is None and win.finished.isVisibleTo(win)
    assert "Finished" in win.status.saving.text()
    [summary] = store.list_sessions()
    assert summary.frames == win.model.buffer.analysed  # flushed: "saved" is true
    assert [e.kind for e in store.load_session(summary.id).events] == [SIGNAL_LOST]


def test_new_session_on_a_stream_that_serves_one_client(qtbot, live_window, jpegs, store,
                                                       monkeypatch):
    """A camera or a one-viewer stream opens only once: New session lets go of it first
    (the session so far saved), then opens it again for the new one."""
    from app.ui.session_details import SessionDetails

    warned = []
    monkeypatch.setattr("app.ui.main_window.QMessageBox.warning",
                        lambda parent, title, text: warned.append(text))
    with MjpegServer(jpegs, fps=24, max_clients=1) as server:
        win = live_window(open_source(server.url, live=FAST_LIVE))
        win.ask_details = lambda previous, source: SessionDetails("P-027", "Dr A")
        first = win.sessions.session_id
        qtbot.waitUntil(lambda: win.model.buffer.analysed >= 5, timeout=10_000)
        win.new_session()
        qtbot.waitUntil(lambda: win.sessions.session_id not in (None, first)
                        and win.model.buffer.analysed >= 5, timeout=15_000)
        assert not warned  # the new connection may have been turned away while the old
        # one was closing: it was tried again
        assert win.model.info.live and not win.finished.isVisibleTo(win)
    sessions = {s.id: s for s in store.list_sessions()}
    assert set(sessions) == {first, win.sessions.session_id}
    assert sessions[first].frames >= 5 and sessions[win.sessions.session_id].patient_code == \
        "P-027"
