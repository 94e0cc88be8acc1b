"""The session data types and the compact frame encoding of the session store.

`SessionMeta` (what a session is about), `SessionSummary` (a row of the sessions list),
`LoadedSession` (a reopened session), `SessionStoreError`, and the packing of a frame's faces
into one blob: per face x, y, w, h, track id, patient flag, label index (int32/uint8) and the
probabilities as float64, exact, so that a reloaded `FrameResult` equals the recorded one.
Head pose (issue 29) follows the faces as an optional tail, `POSE` then per face the yaw
(float64, NaN = unknown) and a turned-away flag: a blob without it (older sessions) reads as
yaw unknown, and an older reader ignores it and sees a turned-away face as a held box.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from app.core.analysis.baseline import Baseline
from app.core.analysis.classifier import version_label
from app.core.analysis.results import Face, FrameResult
from app.core.errors import CoreError
from app.core.session.notes import Note

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class SessionStoreError(CoreError):
    """The session database cannot do what was asked; the message is one line for the user."""


class SessionStoreDamaged(SessionStoreError):
    """The database file is damaged (not a database, malformed): `SessionStore.start_fresh`."""


def check_patient_code(code: str) -> str:
    """A patient code (e.g. `P-017`), never a name: '' or letters/digits/`._-`, no spaces."""
    code = code.strip()
    if code and not _CODE.fullmatch(code):
        raise SessionStoreError(
            f"patient code {code!r} is not a code: use up to 40 letters, digits, '.', '_' or '-' "
            "(e.g. P-017), never the patient's name"
        )
    return code


@dataclass(frozen=True)
class SessionMeta:
    patient_code: str
    classes: tuple[str, ...]
    clinician: str = ""
    started_at: str = field(  # ISO 8601 local time with offset
        default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds"))
    source: str = ""  # file name, "camera 0", stream URL
    model_name: str = ""  # model file name, e.g. fer_cnn.onnx
    model_version: str = ""  # ONNX metadata `version` (+ " (int8)" for the int8 model)
    provider: str = ""  # e.g. "CPU (no GPU provider available)"
    title: str = ""  # optional, e.g. "intake interview"
    baseline: Baseline | None = None  # the patient's resting face, when one is used
    model_choice: str = ""  # why this model ran, e.g. "float model: int8 not used, ..."
    detector: str = ""  # face detector that ran (e.g. "blazeface"); "" when not recorded

    @property
    def model_description(self) -> str:
        """`fer_cnn_int8.onnx, version fer_cnn-2026-11-24 (int8)`: the model that ran."""
        model = self.model_name or "unknown"
        return f"{model}, version {self.model_version}" if self.model_version else model

    @classmethod
    def from_analyzer(cls, analyzer, *, patient_code: str, clinician: str = "",
                      source: str = "", title: str = "") -> SessionMeta:
        """Meta for a session analysed by `analyzer` (an `Analyzer`), model facts filled in."""
        clf = analyzer.classifier
        return cls(patient_code=patient_code, classes=tuple(analyzer.classes),
                   clinician=clinician, source=source, model_name=Path(clf.path).name,
                   model_version=model_version(clf), provider=str(analyzer.provider),
                   title=title, model_choice=getattr(clf, "choice", ""),
                   detector=str(getattr(analyzer, "detector_name", "") or ""))


def model_version(classifier) -> str:
    """The ONNX metadata `version` of an `EmotionClassifier`'s model ('' if it has none), with
    the precision of a quantized model: `fer_cnn-2026-11-24 (int8)`."""
    return version_label(getattr(classifier, "version", "") or "",
                         getattr(classifier, "precision", "") or "")


@dataclass(frozen=True)
class SessionSummary:
    id: int
    patient_code: str
    clinician: str
    started_at: str
    source: str
    duration_s: float  # time of the last frame
    frames: int
    notes: int
    session_title: str = ""

    @property
    def title(self) -> str:
        who = self.patient_code or f"session {self.id}"
        return f"{who} · {self.session_title}" if self.session_title else who


@dataclass(frozen=True)
class Event:
    """Something that happened at `time_s`: kind `patient` = the patient became another face."""

    time_s: float
    kind: str
    detail: str


@dataclass(frozen=True)
class LoadedSession:
    id: int
    meta: SessionMeta
    frames: list[FrameResult]
    notes: list[Note]
    events: list[Event] = field(default_factory=list)


# Frame packing: exact float64 values so that a reloaded FrameResult == the recorded one.
_FACE = struct.Struct("<iiiiiBB")  # x, y, w, h, track_id, is_patient, label index
_HELD = 255  # label index of a face held over a detector miss (not classified, no probs)
_POSE_TAG = b"POSE"
_POSE = struct.Struct("<dB")  # yaw in degrees (NaN: unknown), 1 = turned away


def pack_probs(probs: tuple[float, ...] | None) -> bytes | None:
    return None if probs is None else struct.pack(f"<{len(probs)}d", *probs)


def pack_faces(faces: tuple[Face, ...], classes: Sequence[str]) -> bytes | None:
    if not faces:
        return None
    parts = [struct.pack("<H", len(faces))]
    for f in faces:
        if not f.detected or f.turned_away:  # no probabilities to store
            parts.append(_FACE.pack(*f.box, f.track_id, f.is_patient, _HELD))
            continue
        if f.label not in classes or len(f.probs) != len(classes):
            raise SessionStoreError(f"a face labelled {f.label!r} with {len(f.probs)} "
                                    f"probabilities does not fit the session's classes")
        parts.append(_FACE.pack(*f.box, f.track_id, f.is_patient, classes.index(f.label)))
        parts.append(struct.pack(f"<{len(f.probs)}d", *f.probs))
    if any(f.yaw_deg is not None or f.turned_away for f in faces):
        parts.append(_POSE_TAG)
        parts += [_POSE.pack(math.nan if f.yaw_deg is None else f.yaw_deg, f.turned_away)
                  for f in faces]
    return b"".join(parts)


def unpack_frame(row: tuple, classes: tuple[str, ...], k: int) -> FrameResult:
    idx, time_s, label, probs, blob = row
    faces: list[Face] = []
    if blob:
        n, pos = struct.unpack_from("<H", blob)[0], 2
        for _ in range(n):
            x, y, w, h, tid, patient, li = _FACE.unpack_from(blob, pos)
            pos += _FACE.size
            if li == _HELD:
                faces.append(Face((x, y, w, h), tid, (), "", bool(patient), detected=False))
                continue
            p = struct.unpack_from(f"<{k}d", blob, pos)
            pos += 8 * k
            faces.append(Face((x, y, w, h), tid, p, classes[li], bool(patient)))
        if blob[pos:pos + len(_POSE_TAG)] == _POSE_TAG:
            faces = _with_pose(faces, blob, pos + len(_POSE_TAG))
    p = None if probs is None else struct.unpack(f"<{len(probs) // 8}d", probs)
    return FrameResult(idx, time_s, tuple(faces), label, p)


def _with_pose(faces: list[Face], blob: bytes, pos: int) -> list[Face]:
    out = []
    for f in faces:
        yaw, away = _POSE.unpack_from(blob, pos)
        pos += _POSE.size
        out.append(replace(f, yaw_deg=None if math.isnan(yaw) else yaw,
                           turned_away=bool(away), detected=f.detected or bool(away)))
    return out
