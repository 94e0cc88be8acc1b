"""Face tracks across frames: stable ids, steady boxes, and which face is the patient.

- Detections are matched to tracks greedily by IoU, or by centre distance and similar size
  (so a track lost for a moment is re-acquired under its old id within `forget_s`).
- Boxes are smoothed (EMA) so they do not jitter, but snap to a big move so they do not lag.
- A track is shown once confirmed (`confirm_hits` detections, or one strong detection:
  one-frame false positives never appear) and held for `hold_s` seconds after its last
  detection (no flicker when the detector misses a face for a few frames). A held track is
  drawn but says `detected=False`: nothing is classified where no face was found.
- The patient is the largest face when none is chosen, or the one the user picks (locked).
  When the patient is not detected in a frame, the same person is looked for under a new track
  id (the track broke): a face appearing within one face width of where the patient was, or,
  unless locked, the only other face when it appeared after the patient was last seen (the
  patient moved). Once the patient is no longer shown, a face that is the only one in view
  stands in as the patient (unless the patient is locked), and hands back when the patient's
  own track is detected again. With several faces the patient is waited for `forget_s`, then
  the largest face takes over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Track:
    id: int
    box: np.ndarray  # smoothed float x, y, w, h
    last_seen_s: float
    hits: int = 1
    misses: int = 0  # consecutive frames without a detection
    detected: bool = True  # detected in the current frame
    keypoints: np.ndarray | None = None  # of the last detection (BlazeFace), for the crop
    yaw_deg: float | None = None  # head yaw of the last detection (head_pose.py)
    born_s: float = 0.0

    def centre(self) -> np.ndarray:
        return self.box[:2] + self.box[2:] / 2


@dataclass
class TrackerConfig:
    confirm_hits: int = 2
    hold_s: float = 0.4
    forget_s: float = 2.0
    iou_match: float = 0.25
    box_alpha: float = 0.45  # EMA weight of a new detection (1 = no smoothing)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def _affinity(track: Track, det: np.ndarray, iou_min: float) -> float:
    """> 0 when det can be this track (higher is better), else 0."""
    ov = iou(track.box, det)
    if ov >= iou_min:
        return 1.0 + ov
    ratio = det[2] / max(track.box[2], 1e-6)
    dist = np.linalg.norm(det[:2] + det[2:] / 2 - track.centre()) / max(track.box[2], 1e-6)
    if 0.6 < ratio < 1.6 and dist < 0.75:
        return 1.0 - dist  # in (0.25, 1]: below any IoU match
    return 0.0


@dataclass
class Tracker:
    config: TrackerConfig = field(default_factory=TrackerConfig)
    tracks: list[Track] = field(default_factory=list)
    patient_id: int | None = None
    patient_locked: bool = False  # chosen by the user
    _next_id: int = 1
    _now: float = 0.0
    _absent_id: int | None = None  # the patient while a stand-in carries the label

    def reset(self) -> None:
        self.tracks.clear()
        self.patient_id, self.patient_locked, self._next_id = None, False, 1
        self._absent_id = None

    def is_held(self, t: Track, time_s: float | None = None) -> bool:
        """Detected recently enough to be shown (or searched for) at `time_s`."""
        now = self._now if time_s is None else time_s
        return t.misses == 0 or now - t.last_seen_s <= self.config.hold_s

    def is_visible(self, t: Track) -> bool:
        return t.hits >= self.config.confirm_hits and self.is_held(t)

    def visible(self) -> list[Track]:
        return [t for t in self.tracks if self.is_visible(t)]

    def update(
        self, detections: list[np.ndarray], strong: Sequence[bool] = (), *, time_s: float,
        keypoints: Sequence[np.ndarray | None] = (), yaws: Sequence[float | None] = (),
    ) -> list[Track]:
        """Feed this frame's detections (`strong[i]`: show a new track from it at once;
        `keypoints[i]`, `yaws[i]`: its keypoints and head yaw, if any); return the visible
        tracks ordered by id."""
        def kps(i: int) -> np.ndarray | None:
            return keypoints[i] if i < len(keypoints) else None

        def yaw(i: int) -> float | None:
            return yaws[i] if i < len(yaws) else None

        cfg = self.config
        self._now = time_s
        pairs = sorted(
            ((a, ti, di) for ti, t in enumerate(self.tracks) for di, d in enumerate(detections)
             if (a := _affinity(t, d, cfg.iou_match)) > 0),
            reverse=True,
        )
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            self._follow(self.tracks[ti], detections[di], time_s)
            self.tracks[ti].keypoints = kps(di)
            self.tracks[ti].yaw_deg = yaw(di)
        for ti, t in enumerate(self.tracks):
            if ti not in used_t:
                t.misses += 1
                t.detected = False
        self.tracks = [  # unconfirmed tracks go at once: they were most likely false positives
            t for t in self.tracks
            if t.misses == 0 or (
                t.hits >= cfg.confirm_hits
                and time_s - t.last_seen_s <= max(cfg.forget_s, cfg.hold_s)
            )
        ]
        for di, d in enumerate(detections):
            if di not in used_d:
                hits = cfg.confirm_hits if di < len(strong) and strong[di] else 1
                self.tracks.append(Track(self._next_id, np.asarray(d, float).copy(), time_s,
                                         hits, keypoints=kps(di), born_s=time_s,
                                         yaw_deg=yaw(di)))
                self._next_id += 1
        self._update_patient()
        return sorted(self.visible(), key=lambda t: t.id)

    def _follow(self, t: Track, det: np.ndarray, time_s: float) -> None:
        moved = np.linalg.norm(det[:2] + det[2:] / 2 - t.centre()) / max(t.box[2], 1e-6)
        # Small moves are mostly detector jitter: smooth. Big ones are real: follow at once.
        alpha = 1.0 if t.misses > 0 or moved > 0.3 else self.config.box_alpha
        t.box = (1 - alpha) * t.box + alpha * np.asarray(det, float)
        t.hits += 1
        t.misses = 0
        t.detected = True
        t.last_seen_s = time_s

    def _track(self, track_id: int | None) -> Track | None:
        return next((t for t in self.tracks if t.id == track_id), None)

    def _update_patient(self) -> None:
        shown = self.visible()
        absent = self._track(self._absent_id)
        if absent is not None and absent.detected and self.is_visible(absent):
            self.patient_id, self._absent_id = absent.id, None  # back: the stand-in steps down
            return
        if absent is None:
            self._absent_id = None
        patient = self._track(self.patient_id)
        if patient is not None:
            if patient.detected:
                return
            same = self._same_person(patient, shown)
            if same is not None:
                self.patient_id = same.id
                self.tracks.remove(patient)
            elif not self.patient_locked and not self.is_visible(patient) and len(shown) == 1:
                self._absent_id, self.patient_id = patient.id, shown[0].id
            return  # held, locked or among several faces: wait for re-acquisition
        self.patient_locked = False
        self._absent_id = None
        if shown:  # the largest face, preferring one detected in this frame
            self.patient_id = max(shown, key=lambda t: (t.detected, t.box[2] * t.box[3])).id
        else:
            self.patient_id = None

    def _same_person(self, lost: Track, shown: list[Track]) -> Track | None:
        """The lost patient under a new track id (the track broke), if the evidence says so:
        a detected face within one face width of where the patient was, or (not locked) the
        only other face shown, detected, and born after the patient was last detected."""
        others = [t for t in shown if t.id != lost.id]
        near = [(float(np.linalg.norm(t.centre() - lost.centre())), t.id) for t in others
                if t.detected]
        near = [n for n in near if n[0] < lost.box[2]]
        if near:
            return self._track(min(near)[1])
        if (not self.patient_locked and len(others) == 1 and others[0].detected
                and others[0].born_s > lost.last_seen_s):
            return others[0]
        return None

    def set_patient(self, track_id: int) -> bool:
        """Make `track_id` the patient (kept until its track is forgotten). False if unknown."""
        if not any(t.id == track_id for t in self.tracks):
            return False
        self.patient_id, self.patient_locked = track_id, True
        return True

    def track_at(self, x: float, y: float) -> int | None:
        """Id of the visible face at frame point (x, y): the smallest box containing it, else
        the nearest centre within one face width; None when no face is near."""
        shown = self.visible()
        inside = [t for t in shown if t.box[0] <= x < t.box[0] + t.box[2]
                  and t.box[1] <= y < t.box[1] + t.box[3]]
        if inside:
            return min(inside, key=lambda t: t.box[2] * t.box[3]).id
        p = np.array([x, y], float)
        near = [(np.linalg.norm(t.centre() - p) / t.box[2], t.id) for t in shown]
        near = [n for n in near if n[0] < 1.0]
        return min(near)[1] if near else None
