"""Clinician notes: a timestamped remark, optionally with the emotion the clinician perceived.

`time_s` is on the same clock as `FrameResult.time_s` (seconds from the start of the source),
so a note can be placed on the timeline and compared with the model's label around it.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a clinician may tag; "other" covers anything the model does not classify.
PERCEIVED_CHOICES = ("happy", "sad", "surprise", "neutral", "other")


@dataclass(frozen=True, slots=True)
class Note:
    time_s: float
    text: str
    perceived: str | None = None  # one of PERCEIVED_CHOICES, or None when not tagged
    id: int | None = None  # assigned by the session store
