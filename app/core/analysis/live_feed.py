"""Live sources read in their own thread: signal loss, reconnection and arrival time.

A camera or a network stream has no end the source decides: a frame that does not come is a
lost signal, not the end of the session. `LiveFeed` reads a live capture in a background
thread and

- stamps every frame with the monotonic clock at its arrival, counted from the first frame.
  That is the session clock: HTTP MJPEG carries no usable timestamps (OpenCV counts its
  frames at an assumed 25 fps, so 12 fps ran at half speed), and the clock keeps running
  through an outage, so notes made meanwhile are stamped when they were made;
- declares the signal *lost* after a read error, or when no frame has come for `stall_s`
  seconds (a stalled stream: the read itself may block until its timeout), then reopens the
  source with a capped backoff (`backoff` = first, cap: 0.5, 1, 2, 4, 4 … s) until frames
  return, `reconnect_s` runs out (the feed then ends), or `close()`;
- keeps each outage as an `Outage(start_s, end_s)` in session time, from the last frame before
  it to the first frame after it; frame indices go on without a gap;
- hands frames over through `get()`: `keep="newest"` holds only the latest frame (a consumer
  that was held up gets the present, never a backlog; frames replaced before they were taken
  are counted in `dropped`), `keep="all"` queues every frame (up to `max_queue`, then the
  oldest are dropped and counted), for fer-analyze's one row per frame.

A capture is anything with `read() -> (ok, image)` and `release()` (cv2.VideoCapture); the
`opener` makes a new one or raises CoreError. Qt-free; one consumer thread calls `get`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app.core.analysis.frame import Frame
from app.core.errors import CoreError

STALL_S = 2.0  # no frame for this long: the signal is lost
BACKOFF_S = (0.5, 4.0)  # first wait before reopening, and the cap of its doubling


@dataclass(frozen=True, slots=True)
class Outage:
    """A stretch without signal, in session seconds; `end_s` None while it lasts."""

    start_s: float
    end_s: float | None = None

    def duration(self, now_s: float | None = None) -> float:
        end = self.end_s if self.end_s is not None else now_s
        return max(0.0, (end if end is not None else self.start_s) - self.start_s)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a live feed is doing, for the status bar and the session record."""

    live: bool  # frames are coming
    lost_since_s: float | None  # session time of the last frame before the loss
    reason: str  # why the signal was lost ("" while live)
    attempts: int  # reopen attempts since the loss
    frames: int  # frames received
    dropped: int  # frames replaced or dropped before the consumer took them
    clock_s: float  # the session clock when this state was taken
    origin: float | None  # the monotonic time of session time 0 (the first frame)
    ended: bool = False  # no frame will come: closed, or reconnecting ran out of time
    outages: tuple[Outage, ...] = ()  # every outage so far, the last one maybe still on


def clock_text(seconds: float) -> str:
    """`HH:MM:SS.s`, cut like a clock (29.19 s is 00:00:29.1)."""
    tenths = int(max(0.0, seconds) * 10 + 1e-6)
    s, t = divmod(tenths, 10)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{t}"


class LiveFeed:
    def __init__(self, capture, opener: Callable[[], object], *, name: str = "source",
                 stall_s: float = STALL_S, backoff: tuple[float, float] = BACKOFF_S,
                 reconnect_s: float = math.inf, keep: str = "newest", max_queue: int = 4096,
                 clock: Callable[[], float] = time.monotonic):
        if keep not in ("newest", "all"):
            raise ValueError(f"keep must be 'newest' or 'all', not {keep!r}")
        self.name, self.stall_s, self.backoff = name, stall_s, backoff
        self.reconnect_s, self.keep, self.max_queue = reconnect_s, keep, max(1, max_queue)
        self._opener, self._clock = opener, clock
        self._cond = threading.Condition()
        self._frames: deque[Frame] = deque()
        self._outages: list[Outage] = []
        self._origin: float | None = None
        self._last_t: float | None = None  # session time of the last frame
        self._last_arrival = clock()  # no first frame within stall_s is a loss too
        self._lost_at: float | None = None  # clock time the loss was declared
        self._reason = ""
        self._attempts = self._index = self.dropped = 0
        self._ended = False
        self.end_reason = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(capture,), name="fer-capture",
                                        daemon=True)
        self._thread.start()

    # -- the consumer's side ------------------------------------------------------------------
    def get(self, timeout: float) -> Frame | None:
        """The next frame (`keep="all"`) or the newest one, waiting up to `timeout` seconds;
        None if none came meanwhile (see `state()`: lost, or ended)."""
        with self._cond:
            deadline = self._clock() + timeout
            while not self._frames:
                self._check_locked()
                left = deadline - self._clock()
                if self._ended or left <= 0:
                    return None
                self._cond.wait(min(left, 0.05))
            return self._frames.popleft()

    def state(self) -> FeedState:
        with self._cond:
            self._check_locked()
            lost = self._lost_at is not None
            return FeedState(
                live=not lost and not self._ended and self._origin is not None,
                lost_since_s=(self._last_t or 0.0) if lost else None,
                reason=self._reason if lost else "", attempts=self._attempts,
                frames=self._index, dropped=self.dropped, clock_s=self._now_locked(),
                origin=self._origin, ended=self._ended, outages=tuple(self._outages))

    @property
    def outages(self) -> list[Outage]:
        with self._cond:
            return list(self._outages)

    @property
    def frames_received(self) -> int:
        with self._cond:
            return self._index

    @property
    def last_time_s(self) -> float | None:
        with self._cond:
            return self._last_t

    def now_s(self) -> float:
        """The session clock (0 until the first frame); it runs through outages."""
        with self._cond:
            return self._now_locked()

    def close(self, join_s: float = 1.0) -> None:
        """Stop reading. The capture is released by the reading thread itself, at once or
        when a blocked read returns (never from another thread)."""
        self._stop.set()
        with self._cond:
            self._end_locked("closed")
        self._thread.join(join_s)

    # -- the reading thread -------------------------------------------------------------------
    def _run(self, cap) -> None:
        try:
            while not self._stop.is_set():
                if cap is None:
                    cap = self._reopen()
                    continue
                try:
                    ok, image = cap.read()
                except Exception:  # a driver raising instead of failing the read
                    ok, image = False, None
                if self._stop.is_set():
                    break
                if not ok or image is None:
                    _release(cap)
                    cap = None
                    with self._cond:
                        self._lose_locked("read error")
                    continue
                self._arrived(image)
        finally:
            if cap is not None:
                _release(cap)
            with self._cond:
                self._end_locked(self.end_reason or "closed")

    def _reopen(self):
        """A new capture once the source opens again, None when stopped or out of time."""
        delay = self.backoff[0]
        while not self._stop.wait(delay):
            with self._cond:
                self._check_locked()
                if self._ended:
                    return None
                self._attempts += 1
            try:
                cap = self._opener()
            except CoreError:
                cap = None
            if cap is not None:
                return cap  # the outage ends with the first frame, not with the opening
            delay = min(2 * delay, self.backoff[1])
        return None

    def _arrived(self, image) -> None:
        now = self._clock()
        with self._cond:
            if self._ended:
                return
            if self._origin is None:
                self._origin = now
            t = now - self._origin
            if self._last_t is not None:
                t = max(t, self._last_t + 1e-6)  # never backwards
            if self._lost_at is not None:
                if self._outages and self._outages[-1].end_s is None:
                    self._outages[-1] = Outage(self._outages[-1].start_s, t)
                self._lost_at, self._reason, self._attempts = None, "", 0
            if self.keep == "newest" and self._frames:
                self.dropped += len(self._frames)
                self._frames.clear()
            elif len(self._frames) >= self.max_queue:
                self._frames.popleft()
                self.dropped += 1
            self._frames.append(Frame(self._index, t, image))
            self._index += 1
            self._last_t, self._last_arrival = t, now
            self._cond.notify_all()

    # -- state, under the lock -------------------------------------------------------------------
    def _now_locked(self) -> float:
        return 0.0 if self._origin is None else max(0.0, self._clock() - self._origin)

    def _check_locked(self) -> None:
        """Declare a stall a loss; end the feed when reconnecting ran out of time."""
        if self._ended:
            return
        now = self._clock()
        if self._lost_at is None and now - self._last_arrival > self.stall_s:
            self._lose_locked(f"no frame for {self.stall_s:g} s")
        elif self._lost_at is not None and now - self._lost_at > self.reconnect_s:
            self._end_locked("gave up")

    def _lose_locked(self, reason: str) -> None:
        if self._lost_at is not None or self._ended:
            return
        self._lost_at, self._reason, self._attempts = self._clock(), reason, 0
        if self._last_t is not None:  # before the first frame the session has not begun
            self._outages.append(Outage(self._last_t))
        if self.reconnect_s <= 0:
            self._end_locked("gave up")
        self._cond.notify_all()

    def _end_locked(self, reason: str) -> None:
        if not self._ended:
            self._ended, self.end_reason = True, reason
            self._stop.set()
            self._cond.notify_all()

    def stopped_message(self) -> str:
        """`stream stopped delivering frames at 00:00:29.1 (N frames)`: why a feed ended."""
        with self._cond:
            at = self._last_t if self._last_t is not None else 0.0
            return f"{self.name}: stream stopped delivering frames at {clock_text(at)} " \
                   f"({self._index} frames)"


def _release(cap) -> None:
    try:
        cap.release()
    except Exception:
        pass  # a dead device may fail to close; nothing more to free
