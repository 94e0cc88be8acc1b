"""Looking-away episodes: stretches in which the patient's face was there but turned away.

A clinician watches for looking away (avoidance); the app marks a face turned beyond the yaw
limit as turned away (head_pose.py) and does not read its emotion. An *episode* is a run of
frames whose patient is turned away (`FrameResult.turned_away`, the frames CSV's
`state == turned_away`), where:

- runs apart by less than `MERGE_GAP_S` (0.5 s) of other frames are one episode: a frame or two
  lost by the detector, or read just below the limit, in the middle of a turn does not split it;
- an episode lasts from its first turned-away frame to the frame after its last one (the last
  frame of the session: one typical frame step after it);
- episodes shorter than `MIN_EPISODE_S` (1.0 s) are not counted: a glance sideways is not
  looking away, and at 25 frames/s a flicker of a few frames cannot make one.

The same rule reads the frames CSV (`episodes_from_rows`), so a researcher can recompute the
report's figures from `time_s` and `state` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.analysis.results import TURNED_AWAY, FrameResult

MERGE_GAP_S = 0.5
MIN_EPISODE_S = 1.0


@dataclass(frozen=True)
class LookingAway:
    episodes: tuple[tuple[float, float], ...]  # (start_s, end_s), in time order
    turned_frames: int  # frames with the patient turned away (also outside episodes)

    @property
    def count(self) -> int:
        return len(self.episodes)

    @property
    def total_s(self) -> float:
        return float(sum(e - s for s, e in self.episodes))

    @property
    def longest_s(self) -> float:
        return float(max((e - s for s, e in self.episodes), default=0.0))


def episodes(times: Sequence[float], turned: Sequence[bool], *, merge_gap_s: float = MERGE_GAP_S,
             min_s: float = MIN_EPISODE_S) -> LookingAway:
    """Episodes from frame times (sorted) and per-frame turned-away flags (see the docstring)."""
    t = np.asarray(times, float)
    away = np.asarray(turned, bool)
    if len(t) == 0 or not away.any():
        return LookingAway((), int(away.sum()))
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    after = np.append(t[1:], t[-1] + step)  # when each frame's view ends
    edges = np.diff(np.r_[0, away.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    runs: list[list[float]] = []
    for s, e in zip(starts, ends, strict=True):
        if runs and t[s] - runs[-1][1] < merge_gap_s:
            runs[-1][1] = after[e]
        else:
            runs.append([t[s], after[e]])
    kept = tuple((float(a), float(b)) for a, b in runs if b - a >= min_s)
    return LookingAway(kept, int(away.sum()))


def looking_away(frames: Sequence[FrameResult], **kw) -> LookingAway:
    """Episodes of a session's frames (in time order)."""
    return episodes([r.time_s for r in frames], [r.turned_away for r in frames], **kw)


def episodes_from_rows(rows, **kw) -> LookingAway:
    """Episodes from a frames CSV read back (`frames_csv.read_frames_csv(...).rows`)."""
    return episodes([r.time_s for r in rows], [r.state == TURNED_AWAY for r in rows], **kw)
