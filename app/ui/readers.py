"""Frame readers for the analysis worker: sequential frames plus random access for recordings.

Qt-free; only the worker thread uses them (widgets never touch cv2).
`app.core.analysis.sources.Source` opens and validates every kind of input but iterates
strictly forwards, while the app must seek in recordings. So a recording is reopened here as
a seekable capture that keeps the core's timing contract (index from 0, `time_s` from the
file's timestamps, never decreasing); live sources and still images are read through the
core `Source` unchanged.
(A `Source.seek(index)` in app/core would make `RecordingReader` unnecessary.)
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from app.core.analysis.sources import Frame, Source, open_source
from app.core.errors import DecodeError, SourceError
from app.core.session.video import RecordedVideo, VideoError

_FALLBACK_FPS = 30.0  # the core's step for files without a frame rate


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the UI needs to know about an opened source."""

    name: str
    kind: str  # "file", "image", "camera" or "stream" (as app.core.analysis.sources)
    live: bool
    seekable: bool
    fps: float | None
    frame_count: int | None
    path: Path | None = None

    @property
    def duration_s(self) -> float | None:
        if self.frame_count and self.fps:
            return self.frame_count / self.fps
        return None


class RecordingReader:
    """A video file read frame by frame with `seek(index)`; times as the core's `Source`."""

    seekable = True

    def __init__(self, source: Source):
        self.info = SourceInfo(source.name, "file", False, True, source.fps,
                               source.frame_count, source.path)
        self._step = 1.0 / (source.fps or _FALLBACK_FPS)
        source.close()  # validated by open_source; reopened below with random access
        self._cap = cv2.VideoCapture(str(source.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            raise SourceError(f"{source.path}: cannot reopen the recording")
        self._next = 0  # index of the frame the next read() returns
        self._last_t = -1.0

    def seek(self, index: int) -> None:
        if index == self._next:
            return  # already there: a plain read is exact and cheaper than a container seek
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        self._next, self._last_t = index, -1.0

    def read(self) -> Frame | None:
        """The next frame, or None at the end. DecodeError if the file stops well short."""
        ok, image = self._cap.read()
        if not ok or image is None:
            expected = self.info.frame_count
            if expected and expected - self._next > max(5, 0.05 * expected):
                raise DecodeError(f"{self.info.name}: decoding stopped at frame {self._next} "
                                  f"of {expected}: the file is truncated or corrupt")
            return None
        t = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if not math.isfinite(t) or (t <= self._last_t and self._next > 0):
            t = self._last_t + self._step if self._last_t >= 0 else self._next * self._step
        frame = Frame(self._next, t, image)
        self._next += 1
        self._last_t = t
        return frame

    def close(self) -> None:
        self._cap.release()


class LiveReader:
    """Cameras, streams and still images. A live source is read by its `LiveFeed` (its own
    thread, keeping only the newest frame: after any hold-up the worker gets the present);
    a still image is the core `Source`'s one frame."""

    seekable = False

    def __init__(self, source: Source):
        count = 1 if source.kind == "image" else None
        self.info = SourceInfo(source.name, source.kind, source.live, False, source.fps,
                               count, source.path)
        self._source = source
        self.feed = source.feed(keep="newest") if source.live else None
        self._frames = iter(()) if source.live else iter(source)
        self._taken = 0  # live frames handed out: their indices, dense (stale ones dropped)

    def seek(self, index: int) -> None:  # live input cannot be repositioned
        pass

    def read(self, timeout: float = 0.1) -> Frame | None:
        """The next frame; for a live source the newest one, or None if none came within
        `timeout` (the feed's `state()` says whether the signal is lost)."""
        if self.feed is not None:
            frame = self.feed.get(timeout)
            if frame is None:
                return None
            self._taken += 1  # numbered as analysed, so indices stay dense (results.py)
            return Frame(self._taken - 1, frame.time_s, frame.image)
        return next(self._frames, None)

    def close(self) -> None:
        self._frames = iter(())
        self._source.close()


@dataclass(frozen=True)
class RecordedVideoSpec:
    """A stored live session's recorded video, to replay with its stored analysis: only the
    frames with a stored result (`keep`) are shown, so nothing is ever analysed again."""

    folder: Path
    keep: frozenset[int]
    name: str = "recorded video"

    def __str__(self) -> str:
        return self.name


class RecordedVideoReader:
    """A recorded live video (session/video.py) as a seekable recording whose frames carry the
    session's own frame indices and times; `index_at(time_s)` serves seeking by time."""

    seekable = True

    def __init__(self, spec: RecordedVideoSpec):
        try:
            self._video = RecordedVideo(spec.folder, set(spec.keep))
        except VideoError as exc:
            raise SourceError(str(exc)) from None
        if not self._video.frames:
            self._video.close()
            raise SourceError(f"{spec.name}: no frame of the video has a stored analysis")
        self.info = SourceInfo(spec.name, "file", False, True, self._video.fps,
                               len(self._video.frames), None)
        self._next = 0  # position in the video's frames that read() returns

    def index_at(self, time_s: float) -> int:
        return self._video.frames[self._video.position_at(time_s)].index

    def seek(self, index: int) -> None:
        self._next = self._video.position_of(index)

    def read(self) -> Frame | None:
        image = self._video.image(self._next)
        if image is None:  # the end, or frames a crash cut short
            return None
        vf = self._video.frames[self._next]
        self._next += 1
        return Frame(vf.index, vf.time_s, image)

    def close(self) -> None:
        self._video.close()


def make_reader(spec_or_source: Source | str | int | Path | RecordedVideoSpec,
                retry_s: float = 0.0, stopping=lambda: False
                ) -> RecordingReader | LiveReader | RecordedVideoReader:
    """Open (if needed) and wrap a source. Raises the core's SourceError. `retry_s`: keep
    trying to open for this long, until `stopping()` (a camera or a one-viewer stream just
    let go of frees its slot a moment later)."""
    if isinstance(spec_or_source, RecordedVideoSpec):
        return RecordedVideoReader(spec_or_source)
    source = spec_or_source
    deadline = time.monotonic() + retry_s
    while not isinstance(source, Source):
        try:
            source = open_source(source)
        except SourceError:
            if stopping() or time.monotonic() >= deadline:
                raise
            time.sleep(0.25)
    return RecordingReader(source) if source.kind == "file" else LiveReader(source)


def probe_camera(index: int) -> bool:
    """True if camera `index` opens. Cheap where the device node does not exist (Linux)."""
    if sys.platform.startswith("linux") and not Path(f"/dev/video{index}").exists():
        return False  # V4L2 maps index N to /dev/videoN: no node, no camera, no slow probing
    cap = cv2.VideoCapture(index)
    try:
        return bool(cap.isOpened())
    finally:
        cap.release()


def probe_cameras(indices=range(4)) -> list[int]:
    """The camera indices that open (blocking: call off the GUI thread)."""
    return [i for i in indices if probe_camera(i)]
