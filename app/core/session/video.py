"""A live session's video, recorded by consent, crash-safe and frame-accurate with the session.

    rec = VideoRecorder(folder)                 # a folder of its own (0700), files 0600
    rec.offer(image, index, time_s)             # the analysis thread, per analysed live frame
    rec.close()                                 # waits for the queue to drain
    video = RecordedVideo(folder)               # read back: video.frames, video.read(i)

Layout: the folder holds short MPEG-TS segments `seg-000000.ts`, … of at most `SEGMENT_S`
seconds of session time (MPEG-4 Part 2 video, the cheapest encoder OpenCV's FFmpeg offers;
benchmarks/video_recorder.py measured the choice) and `index.tsv`, one line per written frame:
`segment, frame in segment, frame index, time_s` — the analysis's `FrameResult.index` and
`time_s`, so every video frame is tied to the stored result of the same frame and replay seeks
by session time exactly. Concatenated (`cat seg-*.ts`) the segments are one playable stream.

Crash safety: an MPEG-TS segment needs no final index (FFmpeg writes its packets as they come,
in 32 KB blocks), and a segment is closed every `SEGMENT_S` s, so after `kill -9` every closed
segment plays and the open one plays up to its last written block: at most `SEGMENT_S` seconds
are lost, in practice well under one. The index is flushed every `FLUSH_S`; `RecordedVideo`
keeps the index lines whose frames decode and ignores the rest.

The live chain never waits for the disk: `offer` only puts the frame on a bounded queue (about
`QUEUE_S` seconds of frames) for the writer's own thread; when the queue is full the frame is
dropped and counted (`dropped`); replay then shows the frame before it for that time.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import CoreError
from app.core.paths import PRIVATE_FILE, make_private_dir

SEGMENT_S = 4.0  # session seconds per segment: the most a crash can cost
FLUSH_S = 0.5  # the index is flushed at least this often
QUEUE_FRAMES = 90  # ~3 s at 30 fps: disk hiccups are absorbed, never passed to the live chain
FOURCC = "mp4v"  # MPEG-4 Part 2: 1.3-1.7 ms per 640x360 frame, ~0.8 GB/h (benchmarks/)
MAX_WIDTH = 1280  # larger frames are scaled down to this width before encoding
INDEX = "index.tsv"


class VideoError(CoreError):
    """The video cannot be written or read; one line for the user."""


class VideoRecorder:
    def __init__(self, folder: str | Path, *, fps: float = 30.0, segment_s: float = SEGMENT_S,
                 queue_frames: int = QUEUE_FRAMES, max_width: int = MAX_WIDTH):
        self.folder = make_private_dir(folder)
        self.fps, self.segment_s, self.max_width = fps, segment_s, max_width
        self.written = 0
        self.dropped = 0
        self.error: str | None = None  # the first write failure (recording stops there)
        self._queue: queue.Queue = queue.Queue(maxsize=queue_frames)
        self._index = _open_private(self.folder / INDEX, "a")
        self._writer: cv2.VideoWriter | None = None
        self._segment = len(list(self.folder.glob("seg-*.ts")))  # continues a folder
        self._in_segment = 0
        self._segment_start = 0.0
        self._size: tuple[int, int] | None = None
        self._last_flush = time.monotonic()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="video-recorder", daemon=True)
        self._thread.start()

    # -- producer side (the analysis thread) ------------------------------------------------
    def offer(self, image: np.ndarray, index: int, time_s: float) -> bool:
        """Queue a frame for writing; False (and counted) if the writer is behind or stopped."""
        if self._closed or self.error is not None:
            return False
        try:
            self._queue.put_nowait((image, int(index), float(time_s)))
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, close the segment and the index."""
        if self._closed:
            return
        self._closed = True
        self._queue.put((None, 0, 0.0))  # blocks only while the queue is full
        self._thread.join(timeout_s)

    # -- the writer thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            image, index, time_s = self._queue.get()
            if image is None:
                break
            if self.error is not None:
                continue  # keep draining, so close() never waits on a full queue
            try:
                self._write(image, index, time_s)
            except (OSError, cv2.error) as exc:
                self.error = f"the video could not be written: {exc}"
        with contextlib.suppress(OSError, cv2.error):
            self._end_segment()
        with contextlib.suppress(OSError):
            self._index.close()

    def _write(self, image: np.ndarray, index: int, time_s: float) -> None:
        if self._size is None:
            h, w = image.shape[:2]
            scale = min(1.0, self.max_width / w)
            self._size = (int(w * scale) // 2 * 2, int(h * scale) // 2 * 2)
        if image.shape[1::-1] != self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        if self._writer is None or time_s - self._segment_start >= self.segment_s:
            self._start_segment(time_s)
        self._writer.write(image)
        self._index.write(f"{self._segment}\t{self._in_segment}\t{index}\t{time_s!r}\n")
        self._in_segment += 1
        self.written += 1
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_S:
            self._index.flush()
            self._last_flush = now

    def _start_segment(self, time_s: float) -> None:
        if self._writer is not None:
            self._end_segment()
            self._segment += 1
        path = self.folder / f"seg-{self._segment:06d}.ts"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
        writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*FOURCC),
                                 self.fps, self._size)
        if not writer.isOpened():
            raise OSError(f"cannot open a video writer for {path}")
        os.chmod(path, PRIVATE_FILE)
        self._writer, self._in_segment, self._segment_start = writer, 0, time_s

    def _end_segment(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
            with contextlib.suppress(OSError):
                self._index.flush()


def _open_private(path: Path, mode: str):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, mode, encoding="utf-8")


@dataclass(frozen=True, slots=True)
class VideoFrame:
    segment: int
    position: int  # frame number within the segment
    index: int  # the FrameResult index of this frame
    time_s: float


def has_video(folder: str | Path) -> bool:
    folder = Path(folder)
    return (folder / INDEX).is_file() and any(folder.glob("seg-*.ts"))


class RecordedVideo:
    """Random access to a recorded video by frame index or session time. `keep`: only frames
    whose index is in it (e.g. those with a stored analysis). Not thread-safe: one reader."""

    def __init__(self, folder: str | Path, keep: set[int] | None = None):
        self.folder = Path(folder)
        if not has_video(self.folder):
            raise VideoError(f"no recorded video in {self.folder}")
        frames: list[VideoFrame] = []
        with open(self.folder / INDEX, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 4:
                    break  # a line cut short by a crash: the end of the index
                try:
                    vf = VideoFrame(int(parts[0]), int(parts[1]), int(parts[2]),
                                    float(parts[3]))
                except ValueError:
                    break
                if (keep is None or vf.index in keep) and \
                        (self.folder / f"seg-{vf.segment:06d}.ts").exists():
                    frames.append(vf)
        frames.sort(key=lambda v: v.index)
        self.frames = frames
        self._times = [v.time_s for v in frames]
        self._indices = [v.index for v in frames]
        self._cap: cv2.VideoCapture | None = None
        self._open_segment = -1
        self._next_position = 0  # frame number in the open segment that read() decodes next

    @property
    def duration_s(self) -> float:
        return self._times[-1] if self._times else 0.0

    @property
    def fps(self) -> float:
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return 30.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])

    def position_of(self, index: int) -> int:
        """Position in `frames` of the first frame with an index >= `index` (len: none)."""
        return bisect.bisect_left(self._indices, index)

    def position_at(self, time_s: float) -> int:
        """Position of the frame on screen at `time_s` (the last one at or before it)."""
        return max(0, bisect.bisect_right(self._times, time_s) - 1)

    def image(self, position: int) -> np.ndarray | None:
        """The picture of `frames[position]`, or None when it cannot be decoded (cut short by
        a crash); sequential positions decode without seeking."""
        if not 0 <= position < len(self.frames):
            return None
        vf = self.frames[position]
        if vf.segment != self._open_segment or vf.position < self._next_position:
            self._open(vf.segment)
        while self._next_position < vf.position:  # decode forward to the frame
            if not self._cap.grab():
                return None
            self._next_position += 1
        ok, image = self._cap.read()
        if not ok:
            return None
        self._next_position += 1
        return image

    def _open(self, segment: int) -> None:
        self.close()
        self._cap = cv2.VideoCapture(str(self.folder / f"seg-{segment:06d}.ts"), cv2.CAP_FFMPEG)
        self._open_segment, self._next_position = segment, 0

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
        self._cap, self._open_segment = None, -1

    def playable_frames(self) -> int:
        """How many indexed frames decode (reads everything: for checks, not the app)."""
        return sum(self.image(i) is not None for i in range(len(self.frames)))
