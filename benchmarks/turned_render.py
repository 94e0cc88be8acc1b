"""A frontal face re-rendered turned by a known yaw: a crude 3D head for benchmarks/head_pose.py.

The face of a frontal frame is laid on a head shape built from its BlazeFace keypoints (eye
distance D, eye midpoint): an elliptic cylinder 2.5 D wide and 1.3 D deep (cheeks fall away
towards the sides) with a nose ridge standing `NOSE_DEPTH` x D in front of the eyes at the nose
tip, turned about its vertical axis and drawn back with a depth buffer (nearer points win,
holes filled from the left neighbour). The background keeps the frame's own, behind the head
a flat colour from the frame's corners. Known angles, but a made-up head: its nose depth is the
constant the estimator uses, so the render checks how BlazeFace places keypoints on turned
faces (and where it stops finding them), not that constant; beyond ~60 degrees the cheek
texture is stretched and hair and ears are missing, so it is no real profile.
"""

from __future__ import annotations

import math

import numpy as np

from app.core.analysis.head_pose import NOSE_DEPTH

HALF_WIDTH = 1.25  # x D: the head's half width at eye level
DEPTH = 1.3  # x D: from the turning axis to the face's centre line
TOP, BOTTOM = 1.7, 2.3  # x D above and below the eye line: forehead to chin


def turned(frame: np.ndarray, keypoints: np.ndarray, yaw_deg: float) -> np.ndarray:
    """`frame` (BGR, an upright frontal face with BlazeFace `keypoints` in pixels) with that
    face turned by `yaw_deg` (positive: to the person's left, the image's right)."""
    kps = np.asarray(keypoints, float)
    eyes = (kps[0] + kps[1]) / 2
    d = float(np.hypot(*(kps[1] - kps[0])))
    h, w = frame.shape[:2]
    a, b = HALF_WIDTH * d, DEPTH * d
    y0, y1 = int(max(0, eyes[1] - TOP * d)), int(min(h, eyes[1] + BOTTOM * d))
    x0, x1 = int(max(0, eyes[0] - a)), int(min(w, eyes[0] + a))
    out = frame.copy()
    corners = np.concatenate([frame[:8, :8].reshape(-1, 3), frame[:8, -8:].reshape(-1, 3)])
    out[y0:y1, x0:x1] = np.median(corners, axis=0).astype(np.uint8)

    t = math.radians(yaw_deg)
    cos_t, sin_t = math.cos(t), math.sin(t)
    nose_x, nose_y = kps[2]
    fine = 3  # sub-pixel source columns: stretched surfaces leave no holes
    xs = np.arange(x0 * fine, x1 * fine) / fine
    u = (xs - eyes[0]) / a
    inside = np.abs(u) < 1
    for y in range(y0, y1):
        v = (y - eyes[1]) / d  # 0 at the eyes, + down
        narrow = 1.0 if v < 0.8 else max(0.35, 1 - 0.45 * (v - 0.8))  # the jaw narrows
        uu = u / narrow
        row_in = inside & (np.abs(uu) < 1)
        z = b * np.sqrt(np.clip(1 - uu ** 2, 0, 1))
        # nose ridge: rises from the brow to its tip, gone below it
        along = np.clip((y - (eyes[1] - 0.1 * d)) / max(nose_y - eyes[1], 1.0), 0, 1.15)
        ridge = np.where(along <= 1, along, np.clip(1 - 6 * (along - 1), 0, 1))
        z_eye = b * math.sqrt(1 - (0.5 / HALF_WIDTH) ** 2)
        bump = (NOSE_DEPTH * d + z_eye - b) * ridge
        z = z + bump * np.exp(-((xs - nose_x) ** 2) / (2 * (0.16 * d) ** 2))
        xr = eyes[0] + (xs - eyes[0]) * cos_t + z * sin_t
        zr = -(xs - eyes[0]) * sin_t + z * cos_t
        src = np.clip(np.round(xs).astype(int), 0, w - 1)
        cols = np.round(xr).astype(int)
        ok = row_in & (cols >= 0) & (cols < w)
        order = np.argsort(zr[ok])  # far first: nearer points overwrite
        target = np.full(w, -1)
        target[cols[ok][order]] = src[ok][order]
        drawn = np.flatnonzero(target >= 0)
        if len(drawn) == 0:
            continue
        lo, hi = drawn[0], drawn[-1]
        for c in range(lo + 1, hi + 1):  # fill single-column holes
            if target[c] < 0:
                target[c] = target[c - 1]
        span = np.arange(lo, hi + 1)
        out[y, span] = frame[y, target[span]]
    return out
