"""The per-frame analysis: faces found, tracked and classified -> one `FrameResult`.

`Analyzer.process(frame_bgr, index, time_s)` is all a caller needs, live or recorded (the UI
worker feeds camera frames one by one; `pipeline.analyze_source` feeds a whole source from a
decoding thread). Detection is scheduled to stay cheap: a full downscaled scan on the first
frame, every `full_scan_every` frames and right after a tracked face is missed (every
`idle_scan_every` frames while no face is tracked); in between only a small region around each
tracked face is searched. All faces of a frame are classified in one batch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from app.core.analysis.classifier import CLASSIFY_THREADS, EmotionClassifier
from app.core.analysis.detector import HaarDetector
from app.core.analysis.preprocess import face_batch
from app.core.analysis.providers import ProviderInfo
from app.core.analysis.results import Face, FrameResult
from app.core.analysis.smoothing import ProbabilitySmoother
from app.core.analysis.tracker import Tracker, TrackerConfig, iou


@dataclass
class AnalyzerConfig:
    min_face_frac: float = 0.12  # smallest face a scan finds, as a fraction of frame height
    still_min_face_frac: float = 0.03  # the same for still images (time is no issue there)
    full_scan_every: int = 24  # frames between full scans while faces are tracked
    idle_scan_every: int = 1  # frames between full scans while no face is tracked
    # Haar pyramid step of full scans: 1.2 costs half of 1.1; in a video a face missed at one
    # size is caught a few frames later, in a still image there is no later, so 1.1 there.
    scan_scale_factor: float = 1.2
    still_scan_scale_factor: float = 1.1
    # Haar hits that must agree. Video: a one-frame false positive is filtered by the track
    # confirmation anyway, and 3 finds more FER faces than 4 (chain_accuracy.py); a still image
    # has no second frame to confirm, so it asks more.
    scan_min_neighbors: int = 3
    still_min_neighbors: int = 4
    search_min_neighbors: int = 2
    strong_votes: int = 15  # a scan hit this confident is shown at once, unconfirmed
    tracker: TrackerConfig = field(default_factory=TrackerConfig)


@dataclass
class Timings:
    """Seconds spent per stage since the last reset (for benchmarks and the summary)."""

    frames: int = 0
    decode_s: float = 0.0  # filled by pipeline.analyze_source (decoding thread)
    detect_s: float = 0.0  # grayscale + detection + tracking
    classify_s: float = 0.0  # crops + model + smoothing


class Analyzer:
    """Finds, tracks and classifies faces frame by frame. Thread-safe: the UI thread may call
    `set_patient`/`select_patient_at` while a worker thread calls `process`."""

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        device: str = "auto",
        smooth_s: float = 0.0,
        threads: int = CLASSIFY_THREADS,
        classifier: EmotionClassifier | None = None,
        config: AnalyzerConfig | None = None,
    ):
        self.classifier = classifier or EmotionClassifier(model, device=device, threads=threads)
        self.config = config or AnalyzerConfig()
        self._detector = HaarDetector()
        self._tracker = Tracker(self.config.tracker)
        self._smoother = ProbabilitySmoother(smooth_s)
        self._lock = threading.Lock()
        self.timings = Timings()
        self.reset()

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names in the order of every `probs` tuple."""
        return self.classifier.classes

    @property
    def provider(self) -> ProviderInfo:
        return self.classifier.provider

    def reset(self, still: bool = False) -> None:
        """Start a new source: forget tracks, patient and smoothing. `still`: single images
        (finer scan, faces shown without waiting for a second detection)."""
        with self._lock:
            self._still = still
            cfg = self.config.tracker
            self._tracker.config = replace(cfg, confirm_hits=1) if still else cfg
            self._tracker.reset()
            self._smoother.reset()
            self._since_scan = 1 << 30  # first frame: full scan
            self._scan_next = False

    def set_patient(self, track_id: int) -> bool:
        """Make face `track_id` the patient from now on. False if no such track exists."""
        with self._lock:
            return self._tracker.set_patient(track_id)

    def select_patient_at(self, x: float, y: float) -> int | None:
        """Make the face at frame point (x, y) the patient (a click); its track id, or None."""
        with self._lock:
            tid = self._tracker.track_at(x, y)
            if tid is not None:
                self._tracker.set_patient(tid)
            return tid

    def process(self, frame_bgr: np.ndarray, index: int, time_s: float) -> FrameResult:
        """Analyse one frame (BGR, BGRA or grayscale uint8)."""
        with self._lock:
            t0 = time.perf_counter()
            gray = _to_gray(frame_bgr)
            tracks = self._tracker.update(*self._detect(gray, time_s), time_s=time_s)
            t1 = time.perf_counter()
            probs = self.classifier.predict(face_batch(gray, [t.box for t in tracks]))
            classes = self.classes
            faces = []
            for track, p in zip(tracks, probs, strict=True):
                p = self._smoother.update(track.id, time_s, p)
                faces.append(Face(
                    box=tuple(int(round(v)) for v in track.box),
                    track_id=track.id,
                    probs=tuple(float(v) for v in p),
                    label=classes[int(np.argmax(p))],
                    is_patient=track.id == self._tracker.patient_id,
                ))
            self._smoother.keep_only({t.id for t in self._tracker.tracks})
            patient = next((f for f in faces if f.is_patient), None)
            t2 = time.perf_counter()
            self.timings.frames += 1
            self.timings.detect_s += t1 - t0
            self.timings.classify_s += t2 - t1
            return FrameResult(
                index=index,
                time_s=float(time_s),
                faces=tuple(faces),
                label=patient.label if patient else None,
                probs=patient.probs if patient else None,
            )

    def _detect(self, gray: np.ndarray, time_s: float) -> tuple[list[np.ndarray], list[bool]]:
        """This frame's face boxes, and which of them are strong enough to show at once."""
        cfg = self.config
        live = [t for t in self._tracker.tracks if self._tracker.is_held(t, time_s)]
        every = cfg.full_scan_every if live else cfg.idle_scan_every
        found: list[np.ndarray] = []
        strong: list[bool] = []
        if self._still or self._scan_next or self._since_scan + 1 >= every:
            if self._still:
                frac, step, mn = (cfg.still_min_face_frac, cfg.still_scan_scale_factor,
                                  cfg.still_min_neighbors)
            else:
                frac, step, mn = cfg.min_face_frac, cfg.scan_scale_factor, cfg.scan_min_neighbors
            found, votes = self._detector.scan(gray, frac * gray.shape[0], step, mn)
            strong = [v >= cfg.strong_votes for v in votes]
            self._since_scan = 0
        else:
            self._since_scan += 1
        self._scan_next = False
        for track in live:
            if any(iou(track.box, d) > 0.3 for d in found):
                continue  # the scan already has it
            box = self._detector.search(gray, track.box, cfg.search_min_neighbors)
            if box is not None:
                found.append(box)
                strong.append(False)
            elif track.misses == 0:
                self._scan_next = True  # just lost: maybe it moved fast; look everywhere
        keep = _dedupe(found)
        return [found[i] for i in keep], [strong[i] for i in keep]


def _to_gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return frame
    code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(frame, code)


def _dedupe(boxes: list[np.ndarray]) -> list[int]:
    """Indices of the boxes to keep: drop those overlapping an earlier one a lot (a scan and a
    search finding the same face)."""
    kept: list[int] = []
    for i, b in enumerate(boxes):
        if all(iou(b, boxes[k]) < 0.5 for k in kept):
            kept.append(i)
    return kept
