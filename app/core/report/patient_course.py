"""A patient's course across sessions: one row of figures per stored session of a patient code.

    course = patient_course(store, "P-017", below=threshold.value)
    course.rows -> [CourseRow] (oldest first); write_course_csv(course, path)

Each row gives the figures of that session's own report (report/data.py), so a session reads
the same here as in its PDF: the share of each emotion over the frames where the patient's face
was read, i.e. detected and not turned away (`emotion_summary`; with the session's baseline
applied when it has one, which the row says in `baseline`), the uncertain share (the model's
own top probability below `below`; uncertain frames are then a category of their own, so the
shares and `uncertain` sum to 1), the time without the patient's face and without a signal, the
looking-away episodes (looking_away.py: how many, their total and the longest), the notes and
the clinician-model kappa of agreement.py.

Time per frame is the gap to the next frame, capped at `MAX_FRAME_S` (the last frame: the
median gap), so a pause in a live stream is not counted as face or no-face time. *No face* is
the time of frames without the patient's face (`state == no_face`); a face there but turned
away counts as looking away instead. *No signal* is the session report's outage time
(session/outages.py: from `signal_lost` to the next `signal_back`, or to the session's end),
0 where a session has none.

Sessions analysed with another model (file and version) or face detector than most of the
patient's sessions (a tie: the newest's) are marked in `differs` ("model", "detector"): their
figures are not comparable one-to-one. Classes may differ between models; the course's
classes are all of them in order of first appearance, and a class a session's model lacks has
no share (None).
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.analysis.results import NO_FACE, FrameResult
from app.core.analysis.uncertainty import UNCERTAIN, Threshold
from app.core.report.agreement import agreement
from app.core.report.atomic import write_atomically
from app.core.report.data import ReportData, emotion_summary
from app.core.session.outages import SignalSummary
from app.core.session.store import LoadedSession, SessionStore

MAX_FRAME_S = 1.0  # a longer gap between two frames is a pause, not face time


@dataclass(frozen=True)
class CourseRow:
    session_id: int
    started_at: str  # ISO 8601, as stored
    title: str
    duration_s: float
    frames: int
    face_frames: int  # frames with the patient's face read (detected, not turned away)
    shares: dict[str, float | None]  # per class, of face frames; None: no face / class absent
    uncertain: float | None  # share of face frames whose label is not to be trusted
    no_face_s: float
    no_signal_s: float
    away_episodes: int  # looking-away episodes (report/looking_away.py)
    away_s: float  # their total time
    away_longest_s: float  # the longest of them (0: none)
    notes: int
    kappa: float | None  # Cohen's kappa clinician vs model (None: undefined / no tagged notes)
    kappa_notes: int  # notes compared for kappa
    baseline: bool  # figures corrected by the session's resting-face baseline
    model: str  # the model description (file, version)
    detector: str  # '' when the session did not record it
    differs: tuple[str, ...] = ()  # "model" / "detector": not like most of the sessions


@dataclass(frozen=True)
class PatientCourse:
    patient_code: str
    classes: tuple[str, ...]  # union over the sessions, first appearance first
    rows: tuple[CourseRow, ...]  # oldest first
    threshold: float  # below it a frame was uncertain (0: off)

    @property
    def marked(self) -> bool:
        return any(r.differs for r in self.rows)


def course_row(session: LoadedSession, below: float = 0.0) -> CourseRow:
    """The figures of one stored session (as in its report)."""
    meta = session.meta
    raw = session.frames
    frames = meta.baseline.apply(raw, meta.classes) if meta.baseline else raw
    data = ReportData(meta, frames, session.notes, None, Threshold(below, ""),
                      raw_frames=raw if meta.baseline else None, events=session.events)
    summary = emotion_summary(frames, meta.classes, below=below, raw=data.raw_frames)
    shares = {e.label: e.share for e in summary}
    face = sum(r.label is not None and r.probs is not None for r in frames)
    a = agreement(data.sorted_notes, data.note_labels, meta.classes)
    away = data.looking_away
    return CourseRow(
        session_id=session.id, started_at=meta.started_at, title=meta.title,
        duration_s=data.duration_s, frames=len(frames), face_frames=face,
        shares={c: shares.get(c) for c in meta.classes},
        uncertain=shares.get(UNCERTAIN) if below > 0 else (0.0 if face else None),
        no_face_s=no_face_seconds(frames), no_signal_s=SignalSummary.of(data.outages).seconds,
        away_episodes=away.count, away_s=away.total_s, away_longest_s=away.longest_s,
        notes=len(session.notes), kappa=a.kappa if a.n else None, kappa_notes=a.n,
        baseline=meta.baseline is not None, model=meta.model_description,
        detector=meta.detector)


def frame_seconds(frames: Sequence[FrameResult]) -> list[float]:
    """Time each frame stands for: the gap to the next one, capped at MAX_FRAME_S; the last
    frame the median gap."""
    gaps = [min(max(b.time_s - a.time_s, 0.0), MAX_FRAME_S)
            for a, b in zip(frames, frames[1:], strict=False)]
    return gaps + ([float(statistics.median(gaps)) if gaps else 0.0] if frames else [])


def no_face_seconds(frames: Sequence[FrameResult]) -> float:
    """Time without the patient's face (a face turned away is there: looking away)."""
    return sum(dt for r, dt in zip(frames, frame_seconds(frames), strict=True)
               if r.state == NO_FACE)


def build_course(patient_code: str, sessions: Sequence[LoadedSession],
                 below: float = 0.0) -> PatientCourse:
    """The course of `sessions` (any order; sorted by start time, then id)."""
    ordered = sorted(sessions, key=lambda s: (s.meta.started_at, s.id))
    rows = [course_row(s, below) for s in ordered]
    classes: list[str] = []
    for s in ordered:
        classes += [c for c in s.meta.classes if c not in classes]
    if rows:
        model = _usual([r.model for r in rows])
        detector = _usual([r.detector for r in rows])
        rows = [replace(r, differs=tuple(what for what, mine, usual in (
            ("model", r.model, model), ("detector", r.detector, detector)) if mine != usual))
            for r in rows]
    return PatientCourse(patient_code, tuple(classes), tuple(rows), below)


def differs_text(row: CourseRow) -> str:
    """`other detector: haar` / `other model: fer_cnn_int8.onnx`: what this session ran."""
    what = {"model": row.model.split(",")[0], "detector": row.detector or "not recorded"}
    return "; ".join(f"other {d}: {what[d]}" for d in row.differs)


def _usual(values: list[str]) -> str:
    """The most common value; a tie goes to the newest session's."""
    counts = Counter(values)
    top = max(counts.values())
    return next(v for v in reversed(values) if counts[v] == top)


def patient_course(store: SessionStore, patient_code: str, below: float = 0.0) -> PatientCourse:
    """Every stored session of `patient_code` (exact code), read and summarised."""
    ids = [s.id for s in store.list_sessions() if s.patient_code == patient_code]
    return build_course(patient_code, [store.load_session(i) for i in ids], below)


def patient_codes(store: SessionStore) -> list[tuple[str, int]]:
    """(patient code, number of sessions) of every coded patient, by code."""
    counts: dict[str, int] = {}
    for s in store.list_sessions():
        if s.patient_code:
            counts[s.patient_code] = counts.get(s.patient_code, 0) + 1
    return sorted(counts.items())


# -- CSV ----------------------------------------------------------------------------------------
def csv_header(course: PatientCourse) -> list[str]:
    return ["patient_code", "session_id", "started_at", "title", "duration_s", "frames",
            "face_frames", "baseline", *(f"share_{c}" for c in course.classes), "uncertain",
            "no_face_s", "no_signal_s", "looking_away_episodes", "looking_away_s",
            "looking_away_longest_s", "notes", "kappa", "kappa_notes", "model", "detector",
            "differs"]


def csv_rows(course: PatientCourse) -> list[list[str]]:
    def num(x: float | None, digits: int = 4) -> str:
        return "" if x is None else f"{x:.{digits}f}"

    return [[course.patient_code, str(r.session_id), r.started_at, r.title,
             num(r.duration_s, 2), str(r.frames), str(r.face_frames), str(int(r.baseline)),
             *(num(r.shares.get(c)) for c in course.classes), num(r.uncertain),
             num(r.no_face_s, 2), num(r.no_signal_s, 2), str(r.away_episodes),
             num(r.away_s, 2), num(r.away_longest_s, 2), str(r.notes), num(r.kappa, 3),
             str(r.kappa_notes), r.model, r.detector, " ".join(r.differs)]
            for r in course.rows]


def write_course_csv(course: PatientCourse, path: str | Path) -> Path:
    """One row per session (header first); written whole or not at all (ExportError)."""
    def write(f) -> None:
        writer = csv.writer(f)
        writer.writerow(csv_header(course))
        writer.writerows(csv_rows(course))

    return write_atomically(path, "patient course CSV", write, text=True)
