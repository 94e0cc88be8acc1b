"""Whole-source analysis in three overlapping stages: decode, detect, classify.

OpenCV and ONNX Runtime release the GIL, so threads keep both cores busy: a reader thread
decodes ahead into a small queue, the caller's thread detects and tracks frame t+1 while a
second thread classifies frame t (`Analyzer.detect` / `Analyzer.classify`). The results are
those of `Analyzer.process` frame by frame, in the same order.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from app.core.analysis.analyzer import Analyzer, Timings
from app.core.analysis.results import FrameResult
from app.core.analysis.sources import Frame, Source, open_source

_END = object()


def prefetch(frames: Iterable[Frame], depth: int = 8, timings: Timings | None = None,
             join_timeout_s: float = 10.0) -> Iterator[Frame]:
    """Iterate `frames` in a background thread, `depth` frames ahead. Exceptions raised by the
    source (e.g. DecodeError) are re-raised here after the frames that came before them."""
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        it = iter(frames)
        try:
            while not stop.is_set():
                t = time.perf_counter()
                frame = next(it, _END)
                if timings is not None:
                    timings.decode_s += time.perf_counter() - t
                if not put(frame) or frame is _END:
                    return
        except BaseException as exc:  # hand every failure to the consumer thread
            put(exc)

    thread = threading.Thread(target=run, name="fer-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(join_timeout_s)


def analyze_source(
    source: Source | str | int | Path,
    analyzer: Analyzer,
    *,
    depth: int = 8,
    max_frames: int | None = None,
) -> Iterator[FrameResult]:
    """One `FrameResult` per decoded frame of `source` (a `Source`, a path, a camera index or
    a URL), in order. Opening errors raise `SourceError`; a truncated/corrupt file raises
    `DecodeError` after the results of the frames before the damage. A source opened here is
    closed when the iteration ends or is abandoned (close the generator to stop early)."""
    src = source if isinstance(source, Source) else open_source(source)
    analyzer.reset(still=src.kind == "image")
    frames = prefetch(src, depth, analyzer.timings)
    # One classifying thread: it runs the classifications in frame order (the smoother's
    # state), each while the caller's thread detects the next frame.
    pool = ThreadPoolExecutor(1, thread_name_prefix="fer-classify")
    pending: deque[Future[FrameResult]] = deque()
    failure: Exception | None = None
    try:
        while True:
            try:  # decoding or detection failing: the frames before it come out first
                frame = next(frames, None)
                if frame is None or max_frames is not None and frame.index >= max_frames:
                    break
                snapshot = analyzer.detect(frame.image, frame.index, frame.time_s)
            except Exception as exc:
                failure = exc
                break
            pending.append(pool.submit(analyzer.classify, snapshot))
            if len(pending) > 1:
                yield pending.popleft().result()  # a failed classification raises here
        while pending:
            yield pending.popleft().result()
        if failure is not None:
            raise failure
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        frames.close()  # stops and joins the reader before the capture is released
        if src is not source:
            src.close()
