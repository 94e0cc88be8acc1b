"""Head yaw from BlazeFace's keypoints, and when a face counts as *turned away* (issue 29).

Geometry (docs/head_pose.md). Seen from the camera (orthographic, a few face widths away), a
head turned by yaw θ about its vertical axis moves every point by its depth: a point `z` mm in
front of the axis shifts sideways by `z·sin θ`, and the two eyes, `D` apart, close up to
`D·cos θ`. The nose tip stands `d` mm in front of the eyes, so its sideways distance from the
eye midpoint, measured along the eye line (which undoes head roll), in eye distances, is

    s = d·sin θ / (D·cos θ) = (d / D) · tan θ,   so   θ = atan(s / NOSE_DEPTH),

independent of the face's size, distance and roll. `NOSE_DEPTH = d / D` was measured on the
29,079 FER-2013 faces BlazeFace finds, from the same faces' foreshortening (eye distance over
the eye-to-mouth drop, against frontal faces): 0.61-0.68 in every band from 13 to 53 degrees
(benchmarks/head_pose.py). Pitch changes both lengths alike and cancels.

Sign: positive yaw = the person turned to their own left, which in an unmirrored camera
image is the image's right (the nose moves from the right eye, on the image's left, towards
the left eye). A mirrored image flips the sign.

Weak where the model guesses (docs/head_pose.md, benchmarks/head_pose.py): as the far eye
hides, BlazeFace places it and the nose by habit and the yaw read lags the turn (a rendered
head turned 45/60/75 degrees reads about 34/38/40); small, blurred profiles often read 20-50.
Roll and mirroring move it by 2 degrees (median), 5-12 at the 95th percentile. A Haar box
gets its keypoint yaw from the short-range model run on it (detector.py, `combined`); where
that finds no face, and with `--detector haar`, only the face mesh reads the turn; with the
mesh off too (`AnalyzerConfig.face_mesh`) the yaw is unknown and the face never turned away.

The face mesh (face_mesh.py) gives a second reading: its own yaw from the depth of the face,
and a presence score that falls when a mesh cannot be laid on the face because its far half
is hidden. `head_yaw` keeps the farther of the two yaws (both lag a turn; neither reads much
more than the truth on frontal faces), and the gate also turns a face away whose presence is
low (docs/head_pose.md has the figures).

`TurnGate` decides per face track on yaw and presence averaged over the last moment (an
exponential moving average with time constant `smooth_s`, 0.3 s: as the search crop moves from
frame to frame, a still profile's yaw jitters by about 5 degrees and its presence jumps between
0 and 1), with hysteresis: a face becomes turned away at |yaw| >= `limit_deg` or presence <
`presence_limit` and stays so until |yaw| < `release_deg` and presence >= `presence_release`,
so a face held near a limit does not flicker between classified and turned away. A single
image is decided on its own readings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

RIGHT_EYE, LEFT_EYE, NOSE = 0, 1, 2  # BlazeFace keypoint order (blazeface.py)
NOSE_DEPTH = 0.64  # nose tip in front of the eyes / eye distance (measured, see above)
TURNED_LIMIT_DEG = 50.0  # turned away from here on (chosen by measurement: docs/head_pose.md)
RELEASE_DEG = 45.0  # ... until the face comes back below this
PRESENCE_LIMIT = 0.5  # face-mesh presence below which a face is turned away
PRESENCE_RELEASE = 0.7  # ... until it comes back to this


def yaw_deg(keypoints: np.ndarray | None) -> float | None:
    """Head yaw in degrees (-90..90, positive: turned to the person's left) from BlazeFace's
    six keypoints in image pixels; None without keypoints or with both eyes on one point."""
    if keypoints is None:
        return None
    kps = np.asarray(keypoints, float)
    if kps.shape[0] < 3 or not np.all(np.isfinite(kps[:3])):
        return None
    eye = kps[LEFT_EYE] - kps[RIGHT_EYE]
    dist = float(np.hypot(*eye))
    if dist < 1e-6:
        return None
    along = float((kps[NOSE] - (kps[LEFT_EYE] + kps[RIGHT_EYE]) / 2) @ eye) / dist
    return math.degrees(math.atan2(along / dist, NOSE_DEPTH))


def head_yaw(keypoint_yaw: float | None, mesh_yaw: float | None) -> float | None:
    """The head's yaw from BlazeFace's keypoints and the face mesh: the farther of the two
    (both lag a turn beyond ~45 degrees, each misses some profiles the other reads)."""
    known = [y for y in (keypoint_yaw, mesh_yaw) if y is not None]
    return max(known, key=abs) if known else None


@dataclass(frozen=True)
class TurnConfig:
    limit_deg: float = TURNED_LIMIT_DEG  # |yaw| from which a face is turned away; <= 0: off
    release_deg: float = RELEASE_DEG  # ... and below which it is classified again
    presence_limit: float = PRESENCE_LIMIT  # face-mesh presence below which it is turned away
    presence_release: float = PRESENCE_RELEASE  # ... and from which it is classified again
    # time constant of the averages the gate decides on: a still profile's yaw jitters by ~5
    # degrees and its presence between 0 and 1 from frame to frame as the crop moves
    smooth_s: float = 0.3

    @property
    def on(self) -> bool:
        return self.limit_deg > 0


class TurnGate:
    """Turned away or not, per face track, with hysteresis (not thread-safe: one caller)."""

    def __init__(self, config: TurnConfig | None = None):
        self.config = config or TurnConfig()
        self._away: set[int] = set()
        # track -> (time, averaged yaw, averaged presence or None)
        self._seen: dict[int, tuple[float, float, float | None]] = {}

    def reset(self) -> None:
        self._away.clear()
        self._seen.clear()

    def update(self, track_id: int, yaw: float | None, time_s: float = 0.0,
               presence: float | None = None) -> bool:
        """Whether face `track_id`, seen at `time_s` with `yaw` (None: unknown) and face-mesh
        `presence` (None: not read), is turned away. Unknown yaw: never turned away."""
        cfg = self.config
        if yaw is None or not cfg.on:
            self._away.discard(track_id)
            self._seen.pop(track_id, None)
            return False
        prev = self._seen.get(track_id)
        if prev is not None and cfg.smooth_s > 0 and time_s >= prev[0]:
            w = 1.0 - math.exp(-(time_s - prev[0]) / cfg.smooth_s)
            yaw = (1.0 - w) * prev[1] + w * yaw
            if presence is not None and prev[2] is not None:
                presence = (1.0 - w) * prev[2] + w * presence
        self._seen[track_id] = (time_s, yaw, presence)
        was = track_id in self._away
        bound = cfg.release_deg if was else cfg.limit_deg
        hidden = presence is not None and presence < (cfg.presence_release if was
                                                      else cfg.presence_limit)
        away = abs(yaw) >= bound or hidden
        if away:
            self._away.add(track_id)
        else:
            self._away.discard(track_id)
        return away

    def keep_only(self, track_ids: Iterable[int]) -> None:
        """Forget tracks that no longer exist."""
        keep = set(track_ids)
        self._away &= keep
        self._seen = {t: v for t, v in self._seen.items() if t in keep}
