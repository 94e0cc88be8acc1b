"""Clinician notes: a timestamped remark, optionally with the emotion the clinician perceived.

`time_s` is on the same clock as `FrameResult.time_s` (seconds from the start of the source),
so a note can be placed on the timeline and compared with the model's label around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# What a clinician may tag; "other" covers anything the model does not classify.
PERCEIVED_CHOICES = ("happy", "sad", "surprise", "neutral", "other")


@dataclass(frozen=True, slots=True)
class Note:
    time_s: float
    text: str
    perceived: str | None = None  # one of PERCEIVED_CHOICES, or None when not tagged
    id: int | None = None  # assigned by the session store


def note_numbers(notes: Sequence[Note]) -> list[int]:
    """Each note's number (1..), aligned with `notes`: the order in which notes were made
    (their ids; notes without an id, e.g. read from a CSV, in the order given), so a note
    keeps its number when an earlier-timed one is inserted later."""
    order = sorted(range(len(notes)), key=lambda i: (notes[i].id is None, notes[i].id or 0, i))
    numbers = [0] * len(notes)
    for rank, i in enumerate(order, 1):
        numbers[i] = rank
    return numbers
