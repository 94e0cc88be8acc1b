"""The per-frame analysis: faces found, tracked and classified -> one `FrameResult`.

`Analyzer.process(frame_bgr, index, time_s)` is all a caller needs, live or recorded (the UI
worker feeds frames one by one). It is two stages with a seam between them: `detect` (gray
frame, detection, tracking) returns a frozen `Detected` snapshot holding all `classify` (crops,
model, smoothing) needs, so `pipeline.analyze_source` classifies frame t while frame t+1 is
detected. Detection is scheduled to stay cheap: a full scan on the first frame, every
`full_scan_every` frames and right after a tracked face is missed (every `idle_scan_every`
frames while no face is tracked); in between only a small region around each tracked face is
searched, which also re-checks that the face is still there. Only faces detected in this frame
are classified (in one batch); a face held over a short miss is shown, marked
`detected=False`, with no emotion. Each detected face gets its head yaw from BlazeFace's
keypoints and the face mesh (head_pose.py, face_mesh.py; the mesh at most every
`mesh_every_s` per face); a face turned beyond the limit, or whose mesh cannot be laid on it,
is shown and tracked, marked `turned_away=True`, and not classified (a profile's emotion is
not to be read: issue 29).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from app.core.analysis.classifier import CLASSIFY_THREADS, EmotionClassifier
from app.core.analysis.detector import DEFAULT_DETECTOR, Detection, make_detector, models_dir
from app.core.analysis.face_mesh import MESH_MODEL, FaceMesh, MeshReading
from app.core.analysis.head_pose import TurnConfig, TurnGate, head_yaw, yaw_deg
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
    # A new, unconfirmed face must be found again with at least this score to be shown
    # (BlazeFace scores of real faces: >= 0.65 in the stock media; of the worst false
    # positive in no_face.mp4: 0.55). Haar searches report 0.5: Haar confirms as before.
    confirm_score: float = 0.6
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    turn: TurnConfig = field(default_factory=TurnConfig)  # when a face is turned away
    face_mesh: bool = True  # the face mesh's second reading of the turn (face_mesh.py)
    # The mesh costs 7-9 ms a face: read at most this often per face in a video (the gate
    # averages over 0.3 s anyway); every time on a still image.
    mesh_every_s: float = 0.1


@dataclass
class Timings:
    """Seconds spent per stage since the last reset (for benchmarks and the summary)."""

    frames: int = 0
    decode_s: float = 0.0  # filled by pipeline.analyze_source (decoding thread)
    detect_s: float = 0.0  # grayscale + detection + tracking (`detect`)
    classify_s: float = 0.0  # crops + model + smoothing (`classify`)


@dataclass(frozen=True)
class TrackView:
    """One shown track as it was at its frame (the tracker moves on meanwhile)."""

    id: int
    box: np.ndarray  # float x, y, w, h
    keypoints: np.ndarray | None
    detected: bool
    yaw_deg: float | None = None  # head yaw of this frame's detection (None: unknown, held)
    presence: float | None = None  # its face-mesh presence (None: not read)


@dataclass(frozen=True)
class Detected:
    """What `detect` hands to `classify` for one frame, frozen at that frame."""

    index: int
    time_s: float
    gray: np.ndarray  # the frame in grayscale, for the crops
    tracks: tuple[TrackView, ...]  # the shown tracks, ordered by id
    patient_id: int | None  # the patient at this frame (the UI may pick another meanwhile)
    kept_ids: frozenset[int]  # every track the tracker still keeps: their smoothing stays


class Analyzer:
    """Finds, tracks and classifies faces frame by frame. Thread-safe: the UI thread may call
    `set_patient`/`select_patient_at` while a worker thread calls `process`, and one thread
    may `detect` a frame while another `classify`s the one before (in frame order: the
    smoother is stateful)."""

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        device: str = "auto",
        smooth_s: float = 0.0,
        threads: int = CLASSIFY_THREADS,
        classifier: EmotionClassifier | None = None,
        config: AnalyzerConfig | None = None,
        detector: str = DEFAULT_DETECTOR,
        fast: bool = False,
    ):
        self.classifier = classifier or EmotionClassifier(model, device=device, threads=threads,
                                                          fast=fast)
        self.config = config or AnalyzerConfig()
        self.detector_name = detector
        self._detector = make_detector(detector, device)
        self._mesh = (FaceMesh(models_dir() / MESH_MODEL, device) if self.config.face_mesh
                      else None)
        self._mesh_seen: dict[int, tuple[float, MeshReading]] = {}  # track -> last reading
        self._tracker = Tracker(self.config.tracker)
        self._smoother = ProbabilitySmoother(smooth_s)
        self._turn = TurnGate(self.config.turn)  # used by classify, under _smooth_lock
        self._lock = threading.Lock()  # the tracker and the scan schedule (detect)
        self._smooth_lock = threading.Lock()  # the smoother (classify)
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
        with self._lock, self._smooth_lock:
            self._still = still
            cfg = self.config.tracker
            self._tracker.config = replace(cfg, confirm_hits=1) if still else cfg
            self._tracker.reset()
            self._smoother.reset()
            self._turn = TurnGate(self.config.turn)
            self._mesh_seen.clear()
            self._since_scan = 1 << 30  # first frame: full scan

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
        return self.classify(self.detect(frame_bgr, index, time_s))

    def detect(self, frame_bgr: np.ndarray, index: int, time_s: float) -> Detected:
        """Stage 1 of `process`: find and track the faces of one frame."""
        with self._lock:
            t0 = time.perf_counter()
            frame, gray = _frame_and_gray(frame_bgr)
            found = self._detect(frame, gray, time_s)
            tracks = self._tracker.update(
                [d.box for d in found], [d.strong for d in found], time_s=time_s,
                keypoints=[d.keypoints for d in found],
                yaws=[yaw_deg(d.keypoints if d.pose_keypoints is None else d.pose_keypoints)
                      for d in found])
            views = tuple(self._view(t, frame, time_s) for t in tracks)
            kept = frozenset(t.id for t in self._tracker.tracks)
            self._mesh_seen = {k: v for k, v in self._mesh_seen.items() if k in kept}
            out = Detected(index, float(time_s), gray, views, self._tracker.patient_id, kept)
            self.timings.detect_s += time.perf_counter() - t0
            return out

    def classify(self, d: Detected) -> FrameResult:
        """Stage 2 of `process`: classify the faces detected in `d` -> its `FrameResult`.
        Call it in frame order."""
        with self._smooth_lock:
            t0 = time.perf_counter()
            yaws = {t.id: t.yaw_deg for t in d.tracks if t.detected}
            away = {t.id for t in d.tracks if t.detected
                    and self._turn.update(t.id, t.yaw_deg, d.time_s, t.presence)}
            # held boxes and turned-away faces are never classified
            seen = [t for t in d.tracks if t.detected and t.id not in away]
            probs = self.classifier.predict(
                face_batch(d.gray, [t.box for t in seen], keypoints=[t.keypoints for t in seen]))
            by_id = {t.id: self._smoother.update(t.id, d.time_s, p)
                     for t, p in zip(seen, probs, strict=True)}
            classes = self.classes
            faces = []
            for track in d.tracks:
                p = by_id.get(track.id)
                faces.append(Face(
                    box=tuple(int(round(v)) for v in track.box),
                    track_id=track.id,
                    probs=() if p is None else tuple(float(v) for v in p),
                    label="" if p is None else classes[int(np.argmax(p))],
                    is_patient=track.id == d.patient_id,
                    detected=track.detected,
                    yaw_deg=yaws.get(track.id),
                    turned_away=track.id in away,
                ))
            self._smoother.keep_only(d.kept_ids)
            self._turn.keep_only(d.kept_ids)
            patient = next((f for f in faces if f.is_patient and f.probs), None)
            self.timings.frames += 1
            self.timings.classify_s += time.perf_counter() - t0
            return FrameResult(
                index=d.index,
                time_s=d.time_s,
                faces=tuple(faces),
                label=patient.label if patient else None,
                probs=patient.probs if patient else None,
            )

    def _view(self, track, frame: np.ndarray, time_s: float) -> TrackView:
        """A track as shown at this frame, with the head turn read for a detected face."""
        if not track.detected:
            return TrackView(track.id, track.box.copy(), track.keypoints, False)
        if self._mesh is None:
            return TrackView(track.id, track.box.copy(), track.keypoints, True, track.yaw_deg)
        last = self._mesh_seen.get(track.id)
        if (last is None or self._still or time_s < last[0]
                or time_s - last[0] >= self.config.mesh_every_s - 1e-3):  # 10 fps: every frame
            last = (time_s, self._mesh.read(frame, track.box, track.keypoints))
            self._mesh_seen[track.id] = last
        reading = last[1]
        return TrackView(track.id, track.box.copy(), track.keypoints, True,
                         head_yaw(track.yaw_deg, reading.yaw_deg), reading.presence)

    def _detect(self, frame: np.ndarray, gray: np.ndarray, time_s: float) -> list[Detection]:
        """This frame's faces: a full scan when due, else a search near each tracked face, and
        a scan of this same frame when a face seen in the last frame is not where it was
        (it moved fast: the patient changed seat), so it is found again without delay."""
        cfg = self.config
        live = [t for t in self._tracker.tracks if self._tracker.is_held(t, time_s)]
        every = cfg.full_scan_every if live else cfg.idle_scan_every
        scanned = self._still or self._since_scan + 1 >= every
        found = self._scan(frame, gray) if scanned else []
        self._since_scan = 0 if scanned else self._since_scan + 1
        lost = False
        for track in live:
            if any(iou(track.box, d.box) > 0.3 for d in found):
                continue  # the scan already has it
            det = self._detector.search(frame, gray, track.box)
            if det is not None and track.hits < self._tracker.config.confirm_hits and (
                    det.keypoints is not None and det.score < cfg.confirm_score):
                det = None  # too weak to confirm a face nobody has seen yet
            if det is not None:
                det.strong = False
                found.append(det)
            elif track.misses == 0 and track.hits >= self._tracker.config.confirm_hits:
                lost = True  # a confirmed face just lost (an unconfirmed one was likely false)
        if lost and not scanned:
            found += self._scan(frame, gray)
            self._since_scan = 0
        keep = _dedupe([d.box for d in found])
        return [found[i] for i in keep]

    def _scan(self, frame: np.ndarray, gray: np.ndarray) -> list[Detection]:
        cfg = self.config
        frac = cfg.still_min_face_frac if self._still else cfg.min_face_frac
        return self._detector.scan(frame, gray, frac * gray.shape[0], self._still)


def _frame_and_gray(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(BGR or gray frame for the detector, grayscale frame for Haar and the crops)."""
    if frame.ndim == 2:
        return frame, frame
    if frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame, cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def _dedupe(boxes: list[np.ndarray]) -> list[int]:
    """Indices of the boxes to keep: drop those overlapping an earlier one a lot (a scan and a
    search finding the same face)."""
    kept: list[int] = []
    for i, b in enumerate(boxes):
        if all(iou(b, boxes[k]) < 0.5 for k in kept):
            kept.append(i)
    return kept
