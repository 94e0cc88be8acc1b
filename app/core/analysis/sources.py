"""Frame sources: video files, still images, cameras and network streams.

`open_source(spec)` takes a path, a camera index (int or digit string) or a URL and returns a
`Source`: iterate it for `Frame`s (index from 0, time in seconds, BGR image). Recordings use the
file's own timestamps (CAP_PROP_POS_MSEC), and so do network streams that carry them (a
recording served over http(s)); cameras and streams without timestamps use a monotonic clock
from the first frame. Opening problems raise `SourceError`; a file that stops decoding early
(truncated, corrupt) raises `DecodeError` after the frames before the damage were yielded.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import DecodeError, SourceError

VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".wmv", ".mpg", ".mpeg"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
_BMFF_FIRST = {b"ftyp", b"wide", b"mdat", b"moov", b"free", b"skip"}


@dataclass(frozen=True, slots=True)
class Frame:
    index: int
    time_s: float
    image: np.ndarray  # BGR uint8, as decoded


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


class Source:
    """Frames of one input. Iterate once; `close()` (or `with`) releases the device/file."""

    def __init__(self, name: str, kind: str, cap=None, image=None, path: Path | None = None):
        self.name, self.kind = name, kind  # kind: "file", "image", "camera" or "stream"
        self.path = path
        self._cap, self._image = cap, image
        self.live = kind in ("camera", "stream")
        fps = cap.get(cv2.CAP_PROP_FPS) if cap is not None else 0.0
        self.fps: float | None = fps if fps and math.isfinite(fps) and 0 < fps < 1000 else None
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT) if cap is not None else 1
        self.frame_count: int | None = int(count) if count and count > 0 else None
        if self.live and kind == "camera":
            self.frame_count = None
        self._truncated = kind == "file" and path is not None and _bmff_truncated(path)
        self.decoded = 0

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()

    def __iter__(self) -> Iterator[Frame]:
        if self._image is not None:
            self.decoded = 1
            yield Frame(0, 0.0, self._image)
            return
        cap, index, last_t = self._cap, 0, -1.0
        step = 1.0 / self.fps if self.fps else 1.0 / 30.0
        clock = _StreamClock() if self.kind == "stream" else None
        t0 = None
        while True:
            ok, img = cap.read()
            if not ok or img is None:
                break
            if clock is not None:
                t = clock.time(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
            elif self.live:
                now = time.monotonic()
                t0 = now if t0 is None else t0
                t = now - t0
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

    def _damage(self, decoded: int) -> str | None:
        if self.kind == "camera":
            return f"{self.name} stopped delivering frames after frame {decoded} (disconnected?)"
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


def open_source(spec: str | int | Path, open_timeout_s: float = 5.0) -> Source:
    """Open a video file, still image, camera index or stream URL (see module docstring)."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        index = int(spec)
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            raise SourceError(
                f"camera {index} cannot be opened (not connected, or used by another program)"
            )
        return Source(f"camera {index}", "camera", cap=cap)
    text = str(spec)
    if text.lower().startswith(STREAM_SCHEMES):
        ms = int(open_timeout_s * 1000)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
        cap = cv2.VideoCapture(text, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            raise SourceError(
                f"{_redact(text)}: cannot open the stream "
                f"(unreachable, refused or not a video; timeout {open_timeout_s:g} s)"
            )
        return Source(_redact(text), "stream", cap=cap)
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
