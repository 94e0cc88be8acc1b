"""Outages of a live session in the record (issue 26): notes in them say `no signal`, the
frames CSV counts them in `no_signal_s`, the PDF counts them apart from *no face*."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.analysis.live_feed import Outage
from app.core.analysis.results import Face, FrameResult
from app.core.report.note_labels import label_note
from app.core.session.notes import Note
from app.core.session.outages import outage_events
from app.core.session.store import SessionMeta

CLASSES = ("happy", "sad", "surprise", "neutral")


def frames_with_gap():
    """10 fps, a face throughout, nothing from 2.0 s to 5.0 s (an outage)."""
    probs = (0.7, 0.1, 0.1, 0.1)
    face = Face((10, 10, 40, 40), 1, probs, "happy", is_patient=True)
    times = [i / 10 for i in range(21)] + [5.0 + i / 10 for i in range(20)]
    return [FrameResult(i, t, (face,), "happy", probs) for i, t in enumerate(times)]


def test_a_note_in_an_outage_says_no_signal():
    times = np.array([0.0, 0.1, 0.2, 3.0, 3.1])
    probs = np.tile([0.7, 0.1, 0.1, 0.1], (5, 1))
    gap = [Outage(0.2, 3.0)]
    assert label_note(times, probs, 1.5, CLASSES, outages=gap).text == "no signal"
    assert label_note(times, probs, 3.05, CLASSES, outages=gap).text == "happy"
    # an outage still going on at the end: after the last frame is no signal, not after_end
    assert label_note(times, probs, 9.0, CLASSES, outages=[Outage(3.1)]).text == "no signal"
    assert label_note(times, probs, 9.0, CLASSES).status == "after_end"


def test_exports_count_the_outage(tmp_path):
    from app.core.report.exports import export_report
    from app.core.report.frames_csv import read_frames_csv

    frames = frames_with_gap()
    events = outage_events(Outage(2.0, 5.0), "read error")
    notes = [Note(1.0, "before"), Note(3.5, "during the outage")]
    paths = export_report(frames, CLASSES, notes, SessionMeta("P-1", CLASSES, source="camera 0"),
                          frames_csv_path=tmp_path / "f.csv", notes_csv_path=tmp_path / "n.csv",
                          pdf_path=tmp_path / "r.pdf", events=events)
    rows = read_frames_csv(paths[0]).rows
    assert [(r.frame, r.no_signal_s) for r in rows if r.no_signal_s] == [(21, 3.0)]
    lines = (tmp_path / "n.csv").read_text().splitlines()
    assert lines[2].startswith("3.500,during the outage,,,no_signal,")  # as no_face is kept
    pdf = _pdf_text(paths[2])
    assert "Signal lost" in pdf and "1 time" in pdf and "00:03.0 in all" in pdf
    assert "no signal" in pdf


def test_a_recording_keeps_the_csv_header_unchanged(tmp_path):
    from app.core.report.exports import write_frames_csv
    from app.core.report.frames_csv import header

    path = write_frames_csv(tmp_path / "f.csv", frames_with_gap(), CLASSES)
    assert path.read_text().splitlines()[0] == ",".join(header(CLASSES))
    assert "no_signal_s" not in path.read_text()


def _pdf_text(path) -> str:
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
