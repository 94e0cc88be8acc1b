"""Making another face the patient in a result already computed (a click on a face)."""

from __future__ import annotations

from dataclasses import replace

from app.core.analysis.results import FrameResult


def with_patient(result: FrameResult, track_id: int | None) -> FrameResult:
    """`result` with the face of `track_id` as the patient (label/probs follow); unchanged
    when no face has that track id."""
    chosen = next((f for f in result.faces if f.track_id == track_id), None)
    if chosen is None:
        return result
    faces = tuple(replace(f, is_patient=f.track_id == track_id) for f in result.faces)
    if not chosen.probs:  # held over a miss or turned away: no label in this frame (results.py)
        return replace(result, faces=faces, label=None, probs=None)
    return replace(result, faces=faces, label=chosen.label, probs=chosen.probs)
