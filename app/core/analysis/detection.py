"""What a face detector reports for one face in one frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Detection:
    """One face found in one frame, in frame pixels."""

    box: np.ndarray  # float x, y, w, h
    score: float  # 0-1 confidence
    keypoints: np.ndarray | None = None  # [6, 2] (blazeface.RIGHT_EYE, ...), None for Haar
    strong: bool = False  # confident enough to show at once, without a confirming frame
    # BlazeFace's short-range keypoints with the face filling half the input (a search): what
    # head yaw is measured on (head_pose.py); None: take `keypoints`
    pose_keypoints: np.ndarray | None = None
