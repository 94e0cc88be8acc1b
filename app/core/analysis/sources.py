"""Frame sources: video files, still images, cameras and network streams.

`open_source(spec)` takes a path, a camera index (int or digit string) or a URL and returns a
`Source`: iterate it for `Frame`s (index from 0, time in seconds, BGR image). Recordings use the
file's own timestamps (CAP_PROP_POS_MSEC), and so does a recording served over http(s) (a
stream with a known length). Live sources — cameras, RTSP/RTMP/UDP/TCP streams, and http(s)
streams without a known end (MJPEG, MPEG-TS) — are read through a `LiveFeed` (live_feed.py):
time from a monotonic clock at each frame's arrival, a lost signal reopened with backoff
(`LiveOptions`), outages kept; one lost for longer than `LiveOptions.reconnect_s` raises
`StreamStopped` after its frames.
Opening problems raise `SourceError`; a file that stops decoding early (truncated, corrupt)
raises `DecodeError` after the frames before the damage were yielded.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from app.core.analysis.frame import Frame
from app.core.analysis.live_feed import STALL_S, LiveFeed, Outage
from app.core.errors import DecodeError, SourceError, StreamStopped

__all__ = ["Frame", "LiveOptions", "Outage", "Source", "open_source", "list_media",
           "source_label", "quiet_native_logs", "STREAM_SCHEMES"]

VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".wmv", ".mpg", ".mpeg"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
_BMFF_FIRST = {b"ftyp", b"wide", b"mdat", b"moov", b"free", b"skip"}


def quiet_native_logs() -> None:
    """Silence OpenCV/FFmpeg stderr chatter ("[h264 @ 0x..] ...", "[ WARN:0 ...]").

    Errors reach the user as one clear line instead. Call once at program start, before the
    first video is opened (FFmpeg reads its log level once). Users can still override with the
    OPENCV_FFMPEG_LOGLEVEL / OPENCV_LOG_LEVEL environment variables.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def list_media(folder: str | Path) -> list[Path]:
    """The videos and images directly in `folder`, sorted by name."""
    folder = Path(folder)
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in VIDEO_EXTS | IMAGE_EXTS
    )


def _redact(url: str) -> str:
    """Hide a password in rtsp://user:pass@host URLs before it reaches a message."""
    head, sep, rest = url.partition("://")
    cred, at, host = rest.rpartition("@")
    return f"{head}{sep}{cred.split(':')[0]}:***@{host}" if at and ":" in cred else url


def source_label(source: str) -> str:
    """How a source is shown in reports: a URL without credentials, a file by its name only
    (the folders above it may carry a patient's name)."""
    if "://" in source:
        head, _, rest = source.partition("://")
        return f"{head}://{rest.rpartition('@')[2]}"
    return Path(source).name if source else source


def _bmff_truncated(path: Path) -> bool:
    """True if an MP4/MOV top-level box claims bytes past the end of the file."""
    size = path.stat().st_size
    with path.open("rb") as f:
        pos = 0
        while pos + 8 <= size:
            f.seek(pos)
            head = f.read(16)
            n, kind = int.from_bytes(head[:4], "big"), head[4:8]
            if pos == 0 and kind not in _BMFF_FIRST:
                return False  # not an ISO media file: nothing to check
            if n == 1 and len(head) == 16:
                n = int.from_bytes(head[8:16], "big")
            if n == 0:
                return False  # box runs to the end of the file by definition
            if n < 8 or pos + n > size:
                return True
            pos += n
    return False


@dataclass(frozen=True)
class LiveOptions:
    """How a live source (a camera, a stream without a known end) rides out a lost signal
    (live_feed.py): `stall_s` without a frame is a loss; the source is reopened for up to
    `reconnect_s` after it (0: the loss ends the source, StreamStopped); a stream connection
    that sends nothing for `read_timeout_s` is given up and reopened (a stall shorter than
    that goes on on the same connection, as a one-client server needs)."""

    stall_s: float = STALL_S
    reconnect_s: float = math.inf
    backoff: tuple[float, float] = (0.5, 4.0)
    read_timeout_s: float = 15.0
    open_timeout_s: float = 5.0


class Source:
    """Frames of one input. Iterate once; `close()` (or `with`) releases the device/file.

    `live`: a camera, or a stream without a known end. Its frames come from a `LiveFeed`
    (times from the arrival clock, signal loss and reconnection, `outages`); `feed()` gives
    that feed to a caller that wants only the newest frame (the app)."""

    def __init__(self, name: str, kind: str, cap=None, image=None, path: Path | None = None,
                 opener=None, options: LiveOptions | None = None):
        self.name, self.kind = name, kind  # kind: "file", "image", "camera" or "stream"
        self.path = path
        self._cap, self._image = cap, image
        self._opener, self.options = opener, options or LiveOptions()
        self._feed: LiveFeed | None = None
        fps = cap.get(cv2.CAP_PROP_FPS) if cap is not None else 0.0
        self.fps: float | None = fps if fps and math.isfinite(fps) and 0 < fps < 1000 else None
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT) if cap is not None else 1
        self.frame_count: int | None = int(count) if count and count > 0 else None
        # Over http(s), a stream with a known length is a recording served as a file: media
        # time. RTSP, RTMP, UDP and TCP are live protocols (an RTSP server may still announce
        # a length when it loops a file: it is a camera to us).
        http = name.lower().startswith(("http://", "https://"))
        self.live = kind == "camera" or (kind == "stream" and (self.frame_count is None
                                                               or not http))
        if self.live:
            self.frame_count = None
        if self.live and http:
            self.fps = None  # OpenCV reports 25 for MJPEG whatever the rate: not a fact
        self._truncated = kind == "file" and path is not None and _bmff_truncated(path)
        self.decoded = 0

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()  # its thread releases the capture
        elif self._cap is not None:
            self._cap.release()

    @property
    def outages(self) -> list[Outage]:
        """Stretches without signal so far (live sources; empty for recordings)."""
        return self._feed.outages if self._feed is not None else []

    def feed(self, keep: str = "newest") -> LiveFeed:
        """Start reading this live source in its own thread (once); see live_feed.py."""
        if not self.live:
            raise ValueError(f"{self.name} is not a live source")
        if self._feed is None:
            o = self.options
            self._feed = LiveFeed(self._cap, self._opener, name=self.name, stall_s=o.stall_s,
                                  backoff=o.backoff, reconnect_s=o.reconnect_s, keep=keep)
        return self._feed

    def __iter__(self) -> Iterator[Frame]:
        if self._image is not None:
            self.decoded = 1
            yield Frame(0, 0.0, self._image)
            return
        if self.live:
            yield from self._live_frames()
            return
        cap, index, last_t = self._cap, 0, -1.0
        step = 1.0 / self.fps if self.fps else 1.0 / 30.0
        clock = _StreamClock() if self.kind == "stream" else None
        while True:
            ok, img = cap.read()
            if not ok or img is None:
                break
            if clock is not None:
                t = clock.time(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
            else:
                t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if not (t > last_t) and index > 0:
                    t = last_t + step  # missing or repeated timestamp: keep time increasing
            last_t = t
            self.decoded = index + 1
            yield Frame(index, t, img)
            index += 1
        if problem := self._damage(index):
            raise DecodeError(problem)

    def _live_frames(self) -> Iterator[Frame]:
        """Every frame of a live source, stamped at arrival; StreamStopped when the signal is
        lost for longer than `options.reconnect_s`."""
        feed = self.feed(keep="all")
        try:
            while True:
                frame = feed.get(0.25)
                if frame is not None:
                    self.decoded = frame.index + 1
                    yield frame
                elif feed.state().ended:
                    if feed.end_reason == "gave up":
                        raise StreamStopped(feed.stopped_message())
                    return
        finally:
            feed.close()

    def _damage(self, decoded: int) -> str | None:
        if decoded == 0:
            return f"{self.name}: no frame could be decoded (corrupt or unsupported video)"
        expected = self.frame_count
        # Container frame counts are estimates (a few frames off is normal), hence the slack.
        short = expected is not None and expected - decoded > max(5, 0.05 * expected)
        if self._truncated or short:
            of = f" of {expected}" if expected else ""
            return (f"{self.name}: decoding stopped after {decoded}{of} frames: "
                    "the file is truncated or corrupt")
        return None


class _StreamClock:
    """Times of a network stream: the media's own timestamps whenever it has them.

    A recording served over http(s) arrives faster (or slower) than real time, so the wall
    clock would put a 20 s clip's last frame at 3 s. Media times are used as they are when they
    start near 0 (a file), else counted from the first frame (a live stream's clock, e.g. RTP).
    A frame without a usable timestamp (missing, or not after the previous one) advances by
    the wall-clock time since the previous frame; times never go backwards.
    """

    def __init__(self):
        self._offset: float | None = None
        self._last_media = -math.inf
        self._last_t = self._last_wall = None

    def time(self, media_s: float) -> float:
        now = time.monotonic()
        if math.isfinite(media_s) and media_s > self._last_media and (
                self._offset is not None or self._last_t is None):
            if self._offset is None:
                self._offset = media_s if media_s >= 1.0 else 0.0
            t = media_s - self._offset
            self._last_media = media_s
        elif self._last_t is None:
            t = 0.0
        else:
            t = self._last_t + (now - self._last_wall)
        if self._last_t is not None:
            t = max(t, self._last_t + 1e-6)
        self._last_t, self._last_wall = t, now
        return t


def _camera_capture(index: int):
    """The capture of camera `index` (tests replace it with a fake camera)."""
    return cv2.VideoCapture(index)


def _open_camera(index: int):
    cap = _camera_capture(index)
    if not cap.isOpened():
        cap.release()
        raise SourceError(
            f"camera {index} cannot be opened (not connected, or used by another program)"
        )
    return cap


def _open_stream(url: str, options: LiveOptions):
    ms = [int(options.open_timeout_s * 1000), int(options.read_timeout_s * 1000)]
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms[0], cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms[1]]
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        cap.release()
        raise SourceError(
            f"{_redact(url)}: cannot open the stream "
            f"(unreachable, refused or not a video; timeout {options.open_timeout_s:g} s)"
        )
    return cap


def open_source(spec: str | int | Path, open_timeout_s: float | None = None,
                live: LiveOptions | None = None) -> Source:
    """Open a video file, still image, camera index or stream URL (see module docstring);
    `live`: how a camera or live stream rides out a lost signal (default: reopen forever)."""
    live = live or LiveOptions()
    if open_timeout_s is not None:
        live = replace(live, open_timeout_s=open_timeout_s)
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        index = int(spec)
        return Source(f"camera {index}", "camera", cap=_open_camera(index),
                      opener=lambda: _open_camera(index), options=live)
    text = str(spec)
    if text.lower().startswith(STREAM_SCHEMES):
        return Source(_redact(text), "stream", cap=_open_stream(text, live),
                      opener=lambda: _open_stream(text, live), options=live)
    path = Path(text)
    if path.is_dir():
        raise SourceError(f"{path}: is a folder (analyse its files one by one)")
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: empty file")
    if path.suffix.lower() in IMAGE_EXTS:
        image = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(f"{path}: cannot read as an image (corrupt or unsupported)")
        return Source(path.name, "image", image=image, path=path)
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise SourceError(
            f"{path}: cannot open as a video (not a video file, or truncated/corrupt)"
        )
    return Source(path.name, "file", cap=cap, path=path)
