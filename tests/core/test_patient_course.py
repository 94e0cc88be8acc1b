"""The patient course against a hand-built database of three sessions (figures worked out by
hand below), its CSV, and its one-page PDF's text."""

from __future__ import annotations

import csv
import re

import pytest

from app.core.analysis.baseline import Baseline, target_for
from app.core.analysis.results import Face, FrameResult
from app.core.report.patient_course import (
    patient_codes,
    patient_course,
    write_course_csv,
)
from app.core.report.patient_course_pdf import write_course_pdf
from app.core.session.notes import Note
from app.core.session.store import SessionMeta, SessionStore
from app.core.session.types import Event
from tests.core.test_report_pdf import pdftotext

CLASSES = ("happy", "sad", "surprise", "neutral")
HAPPY, SAD, SURPRISE, NEUTRAL = ((.7, .1, .1, .1), (.1, .8, .05, .05), (.1, .1, .7, .1),
                                 (.1, .1, .1, .7))
WAVERING = (.4, .3, .2, .1)  # happy, but its top probability is below 0.5: uncertain
RESTING_SAD = (.1, .6, .1, .2)  # this patient's resting face: reads sad without a baseline
GLAD = (.7, .2, .05, .05)
AWAY = "turned away"  # the patient's face there but turned beyond the yaw limit: not read
INT8 = ("fer_cnn_int8.onnx", "v1 (int8)")
FLOAT = ("fer_cnn.onnx", "v1")


def frame(i: int, probs) -> FrameResult:
    """Frame i at i seconds; probs None: no face; AWAY: the face turned away."""
    if probs is None:
        return FrameResult(i, float(i))
    if probs == AWAY:
        return FrameResult(i, float(i), (Face((10, 10, 50, 50), 1, (), "", True, yaw_deg=75.0,
                                              turned_away=True),))
    label = CLASSES[max(range(4), key=probs.__getitem__)]
    return FrameResult(i, float(i), (Face((10, 10, 50, 50), 1, probs, label, True),), label,
                       probs)


def add(store, started, model, detector, probs, notes=(), events=(), baseline=None,
        code="P-017") -> int:
    meta = SessionMeta(code, CLASSES, clinician="Dr A", started_at=started, source="camera 0",
                       model_name=model[0], model_version=model[1], detector=detector,
                       baseline=baseline, title=f"week of {started[:10]}")
    sid = store.create_session(meta)
    store.add_frames(sid, [frame(i, p) for i, p in enumerate(probs)])
    for n in notes:
        store.add_note(sid, n)
    for e in events:
        store.add_event(sid, e.time_s, e.kind, e.detail)
    return sid


@pytest.fixture
def store(tmp_path):
    with SessionStore(tmp_path / "data") as s:
        three_sessions(s)
        yield s


def three_sessions(s: SessionStore) -> None:
    """Patient P-017's three sessions (and one of P-099), figures worked out in the comments."""
    # A, 5 Jan: int8 model (the odd one out), 8 face frames: happy 4, uncertain 1, sad 2,
    # neutral 1; 3 frames without a face (3 s: 8, 9 and 13); notes at 2 s (happy over 1-2 s)
    # and 6 s (sad over 5-6 s) agree with the model: kappa 1.0 on 2 notes. Turned away in
    # frames 10-12 and 14-15: two looking-away episodes, 10-13 s (3 s) and 14-16 s (2 s: the
    # last frame stands for one frame step), 5 s in all; not face frames, not "no face".
    add(s, "2026-01-05T10:00:00+01:00", INT8, "blazeface",
        [HAPPY] * 4 + [WAVERING] + [SAD] * 2 + [NEUTRAL] + [None] * 2 + [AWAY] * 3 + [None]
        + [AWAY] * 2,
        notes=[Note(2.0, "smiles at the dog", "happy"), Note(6.0, "tearful", "sad"),
               Note(3.0, "talks about work")])
    # C, 19 Jan (stored before B): surprise in all 4 face frames, 1 s without a face.
    add(s, "2026-01-19T10:00:00+01:00", FLOAT, "blazeface", [SURPRISE] * 4 + [None])
    # B, 12 Jan: Haar detector (marked); a baseline at rest turns the 4 resting frames
    # from sad to neutral: neutral 4/6, happy 2/6; signal lost 2.5-4.0 s; one note; turned
    # away in its last two frames: one episode of 6-8 s (2 s).
    base = Baseline(0.0, 3.0, RESTING_SAD, target_for(CLASSES), 4)
    add(s, "2026-01-12T10:00:00+01:00", FLOAT, "haar",
        [RESTING_SAD] * 4 + [GLAD] * 2 + [AWAY] * 2,
        notes=[Note(5.0, "laughs", "happy")], baseline=base,
        events=[Event(2.5, "signal_lost", ""), Event(3.0, "patient", "face 2"),
                Event(4.0, "signal_back", "")])
    add(s, "2026-01-06T10:00:00+01:00", FLOAT, "blazeface", [SAD] * 3, code="P-099")


def test_figures_of_three_sessions(store):
    course = patient_course(store, "P-017", below=0.5)
    assert [r.started_at[:10] for r in course.rows] == ["2026-01-05", "2026-01-12",
                                                        "2026-01-19"]
    a, b, c = course.rows
    assert course.classes == CLASSES
    assert a.shares == {"happy": 0.5, "sad": 0.25, "surprise": 0.0, "neutral": 0.125}
    assert a.uncertain == 0.125
    assert (a.frames, a.face_frames, a.duration_s) == (16, 8, 15.0)
    assert a.no_face_s == 3.0 and a.no_signal_s == 0.0
    assert (a.away_episodes, a.away_s, a.away_longest_s) == (2, 5.0, 3.0)
    assert (a.notes, a.kappa, a.kappa_notes) == (3, 1.0, 2)
    assert not a.baseline and a.differs == ("model",)

    assert b.baseline
    assert b.shares["neutral"] == pytest.approx(4 / 6) and b.shares["happy"] == pytest.approx(
        2 / 6)
    assert b.shares["sad"] == 0.0 and b.uncertain == 0.0
    assert b.no_signal_s == 1.5 and b.no_face_s == 0.0
    assert (b.away_episodes, b.away_s, b.away_longest_s) == (1, 2.0, 2.0)
    assert (b.notes, b.kappa, b.kappa_notes) == (1, None, 1)  # one pair: kappa undefined
    assert b.differs == ("detector",)

    assert c.shares == {"happy": 0.0, "sad": 0.0, "surprise": 1.0, "neutral": 0.0}
    assert c.no_face_s == 1.0 and c.differs == () and c.kappa is None
    assert (c.away_episodes, c.away_s, c.away_longest_s) == (0, 0.0, 0.0)
    assert patient_codes(store) == [("P-017", 3), ("P-099", 1)]


def test_without_threshold_no_frame_is_uncertain(store):
    a = patient_course(store, "P-017").rows[0]
    assert a.uncertain == 0.0
    assert a.shares["happy"] == 5 / 8  # the wavering frame counts as happy


def test_open_outage_runs_to_the_end(tmp_path):
    """Lost 1-2 s, and again from 5 s to the end (the last frame at 8 s): 1 + 3 s."""
    with SessionStore(tmp_path / "open.sqlite3") as s:
        add(s, "2026-02-02T10:00:00+01:00", FLOAT, "blazeface", [HAPPY] * 9,
            events=[Event(1.0, "signal_lost", ""), Event(2.0, "signal_back", ""),
                    Event(5.0, "signal_lost", "")])
        [row] = patient_course(s, "P-017").rows
    assert row.no_signal_s == 4.0 and row.duration_s == 8.0


def test_csv(store, tmp_path):
    path = write_course_csv(patient_course(store, "P-017", below=0.5), tmp_path / "c.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["started_at"][:10] for r in rows] == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert rows[0]["share_happy"] == "0.5000" and rows[0]["uncertain"] == "0.1250"
    assert rows[1]["baseline"] == "1" and rows[1]["share_neutral"] == "0.6667"
    assert rows[1]["no_signal_s"] == "1.50" and rows[1]["differs"] == "detector"
    assert rows[0]["kappa"] == "1.000" and rows[2]["kappa"] == ""
    away = ("looking_away_episodes", "looking_away_s", "looking_away_longest_s")
    assert [[r[k] for k in away] for r in rows] == [["2", "5.00", "3.00"],
                                                    ["1", "2.00", "2.00"],
                                                    ["0", "0.00", "0.00"]]
    assert rows[0]["no_face_s"] == "3.00"


def test_pdf_is_one_page_with_the_figures(store, tmp_path):
    pdf = write_course_pdf(patient_course(store, "P-017", below=0.5), tmp_path / "c.pdf")
    assert len(re.findall(rb"/Type /Page[^s]", pdf.read_bytes())) == 1  # one page
    text = pdftotext(pdf)
    for expected in ("Patient course", "P-017", "3 sessions", "2026-01-05 10:00",
                     "2026-01-12 10:00", "2026-01-19 10:00", "50 %", "67 %", "100 %",
                     "1.00 (2)", "* baseline", "† other model: fer_cnn_int8.onnx",
                     "† other detector: haar",
                     "00:01", "decision support, not a diagnosis", "Looking away",
                     "2 · 00:05 (00:03)", "1 · 00:02 (00:02)"):
        assert expected in text, expected
    assert "P-099" not in text


def test_unwritable_paths_are_one_line(store, tmp_path):
    from app.core.report.data import ExportError

    course = patient_course(store, "P-017")
    with pytest.raises(ExportError, match="cannot write the patient course PDF"):
        write_course_pdf(course, tmp_path / "missing" / "c.pdf")
    with pytest.raises(ExportError, match="cannot write the patient course CSV"):
        write_course_csv(course, tmp_path / "missing" / "c.csv")


def test_two_dozen_sessions_still_fit_one_page(tmp_path):
    with SessionStore(tmp_path / "many.sqlite3") as s:
        for week in range(24):
            add(s, f"2026-{1 + week // 4:02d}-{1 + 7 * (week % 4):02d}T10:00:00+01:00", FLOAT,
                "blazeface", [HAPPY, SAD, NEUTRAL], notes=[Note(1.0, "note", "sad")])
        pdf = write_course_pdf(patient_course(s, "P-017"), tmp_path / "many.pdf")
    assert len(re.findall(rb"/Type /Page[^s]", pdf.read_bytes())) == 1
