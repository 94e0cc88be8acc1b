"""The live video recorder: frame-accurate with the analysis, private files, drops counted,
and crash-safe (a writer killed with SIGKILL leaves a video that plays to within 10 s)."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.core.session.video import SEGMENT_S, RecordedVideo, VideoRecorder, has_video
from tests.core.video_crash_writer import picture

WRITER = Path(__file__).with_name("video_crash_writer.py")


def bar_x(image: np.ndarray) -> int:
    """Left edge of the moving bar in a `picture` frame (as decoded: lossy, so thresholded)."""
    cols = np.where(image[90, :, 2] > 180)[0]
    return int(cols[0]) if len(cols) else -1


def test_frames_keep_their_index_and_time(tmp_path):
    folder = tmp_path / "videos" / "s1"
    rec = VideoRecorder(folder, fps=30.0, segment_s=1.0)
    indices = [i for i in range(90) if i not in (10, 11, 50)]  # frames the analysis never had
    times = {i: i / 30.0 + (0.01 if i % 7 == 0 else 0.0) for i in indices}  # uneven clock
    for i in indices:
        assert rec.offer(picture(i), i, times[i])
    rec.close()
    assert rec.written == len(indices) and rec.dropped == 0 and rec.error is None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert len([f for f in files if f.suffix == ".ts"]) == 3  # 1-s segments of 3 s
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)

    video = RecordedVideo(folder)
    assert [v.index for v in video.frames] == indices
    assert [v.time_s for v in video.frames] == [times[i] for i in indices]
    pos = video.position_at(times[49] + 0.001)  # 50 is missing: 49 stays on screen
    assert video.frames[pos].index == 49
    assert video.frames[video.position_of(50)].index == 51
    for p in (pos, 0, len(indices) - 1, 40):  # random access, back and forth
        i = video.frames[p].index
        assert abs(bar_x(video.image(p)) - (i * 4) % 300) <= 2, i
    assert video.playable_frames() == len(indices)
    video.close()
    only = RecordedVideo(folder, keep={0, 1, 2, 60})
    assert [v.index for v in only.frames] == [0, 1, 2, 60]
    assert abs(bar_x(only.image(3)) - 240) <= 2
    only.close()


def test_a_full_queue_drops_frames_and_counts_them(tmp_path):
    rec = VideoRecorder(tmp_path / "v", queue_frames=2)
    release = threading.Event()
    real = rec._write
    rec._write = lambda *a: (release.wait(10), real(*a))  # a stalled disk
    results = [rec.offer(picture(i), i, i / 30) for i in range(6)]
    release.set()
    rec.close()
    assert results.count(False) == rec.dropped >= 3  # 1 taken by the writer, 2 queued
    assert rec.written + rec.dropped == 6


def test_no_video_is_one_line(tmp_path):
    from app.core.session.video import VideoError

    assert not has_video(tmp_path)
    with pytest.raises(VideoError, match="no recorded video"):
        RecordedVideo(tmp_path)


def test_killed_writer_leaves_a_video_playing_to_within_10_s(tmp_path):
    folder = tmp_path / "v"
    proc = subprocess.Popen([sys.executable, str(WRITER), str(folder)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(WRITER.parents[2])})
    last_t = 0.0
    try:
        for line in proc.stdout:  # until the writer has offered 13 s of session time
            last_t = float(line.split()[2])
            if last_t >= 13.0:
                break
        os.kill(proc.pid, signal.SIGKILL)  # mid-file: no close, no flush
    finally:
        proc.kill()
        proc.wait()
    assert last_t >= 13.0, "the writer did not get going"
    video = RecordedVideo(folder)
    playable = video.playable_frames()
    assert playable > 0
    assert video.frames[playable - 1].time_s >= last_t - 10.0
    assert video.frames[playable - 1].time_s >= last_t - (SEGMENT_S + 3.5)  # segment + queue
    # every closed segment plays on its own in a standard decoder (the open one may hold
    # nothing yet), and so do all of them joined, with the ffmpeg program where it is installed
    segments = sorted(folder.glob("seg-*.ts"))
    for seg in segments[:-1]:
        cap = cv2.VideoCapture(str(seg), cv2.CAP_FFMPEG)
        assert cap.read()[0], seg.name
        cap.release()
    if shutil.which("ffmpeg"):
        out = subprocess.run(["ffmpeg", "-v", "error", "-i", "concat:" + "|".join(
            map(str, segments)), "-map", "0:v", "-f", "framemd5", "-"], capture_output=True,
            text=True, check=True).stdout
        decoded = sum(1 for line in out.splitlines() if line and not line.startswith("#"))
        assert decoded >= playable - 1
    video.close()


def _session_with_video(tmp_path):
    from app.core.session.store import SessionMeta, SessionStore
    from tests.core.crash_writer import CLASSES, synthetic_frames

    (tmp_path / "data").mkdir()
    store = SessionStore(tmp_path / "data")
    sid = store.create_session(SessionMeta("P-1", CLASSES, source="camera 0"))
    frames = synthetic_frames(30)
    store.add_frames(sid, frames)
    rec = VideoRecorder(store.video_dir(sid))
    for r in frames:
        rec.offer(picture(r.index), r.index, r.time_s)
    rec.close()
    return store, sid, frames


def test_delete_video_keeps_the_analysis_and_notes(tmp_path):
    from app.core.session.notes import Note

    store, sid, frames = _session_with_video(tmp_path)
    store.add_note(sid, Note(0.5, "smiles", "happy"))
    folder = store.video_dir(sid)
    assert folder.parent == tmp_path / "data" / "videos" and store.has_video(sid)
    assert store.video_count() == 1
    store.delete_video(sid)
    assert not folder.exists() and not store.has_video(sid)
    loaded = store.load_session(sid)
    assert loaded.frames == frames and [n.text for n in loaded.notes] == ["smiles"]
    store.delete_video(sid)  # nothing left: no error
    store.close()


def test_deleting_a_session_deletes_its_video_and_backups_can_hold_videos(tmp_path):
    from app.core.session.store import video_backup_dir

    store, sid, _ = _session_with_video(tmp_path)
    folder = store.video_dir(sid)
    dest = store.backup(tmp_path / "b.sqlite3", videos=True)
    copied = video_backup_dir(dest) / folder.name
    assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in folder.iterdir())
    assert stat.S_IMODE(video_backup_dir(dest).stat().st_mode) == 0o700
    store.backup(tmp_path / "plain.sqlite3")
    assert not video_backup_dir(tmp_path / "plain.sqlite3").exists()
    store.delete_session(sid)
    assert not folder.exists()
    store.close()
    assert has_video(copied)  # the copy plays on its own
