"""The PDF report and the export call: renders, holds the notes and kappa, fails cleanly."""

from __future__ import annotations

import csv
import shutil
import subprocess

import numpy as np
import pytest

import app.core.report.blur
from app.core.report.agreement import agreement
from app.core.report.data import ExportError, ReportData
from app.core.report.exports import export_report, export_session
from app.core.report.pdf import Snapshot, write_pdf
from app.core.session.notes import Note
from app.core.session.store import SessionMeta, SessionStore
from tests.core.crash_writer import CLASSES, synthetic_frames

NOTES = [Note(4.0, "Talks about work, smiles", "happy"),
         Note(9.5, "Looks down <pause> & sighs", "sad"),
         Note(14.2, "Startled by a noise", "surprise"),
         Note(21.0, "Flat voice", "neutral"),
         Note(29.0, "Turns away"),
         Note(36.0, "Tearful: ça ne va pas", "sad"),
         Note(44.0, "Irritated", "other")]
METRICS = {"model_file": "fer_cnn.onnx", "test": {"accuracy": 0.8123, "n": 3589, "per_class": {
    c: {"precision": 0.8, "recall": 0.75, "f1-score": 0.77} for c in CLASSES}}}
META = SessionMeta("P-017", CLASSES, clinician="Dr A", started_at="2025-01-14T10:30:00+01:00",
                   source="interview.mp4", model_name="fer_cnn.onnx", model_version="v-test",
                   provider="CUDA (GPU, --device auto)", title="intake interview")


def pdftotext(pdf) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing (Debian: apt-get install poppler-utils)")
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames(25 * 50)  # 50 s at 25 fps


def test_pdf_renders_with_notes_kappa_and_accuracy(tmp_path, frames):
    pdf = write_pdf(ReportData(META, frames, NOTES, METRICS), tmp_path / "report.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdftotext(pdf)
    for note in NOTES:
        assert note.text in text
    data = ReportData(META, frames, NOTES, METRICS)
    a = agreement(data.sorted_notes, data.note_labels, CLASSES)
    assert a.n >= 4 and a.kappa is not None
    assert f"Cohen's kappa {a.kappa:.2f}" in text and f"Percent agreement {a.percent:.1f} %" in text
    for expected in ("P-017", "Dr A", "interview.mp4", "fer_cnn.onnx, version v-test",
                     "2025-01-14 10:30", "00:49", "81.2%", "decision support, not a diagnosis",
                     "Time in each emotion", "1 tagged 'other'", "intake interview",
                     "Inference GPU (CUDA)", "00:09.5", "0 = no better than chance, 1 = perfect",
                     "Flag: too few notes to rely on kappa"):
        assert expected in text, expected
    assert "--device" not in text  # no raw provider diagnostics
    assert "int8" not in text and "Recall (raters)" not in text  # no figures it does not have

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm missing (Debian: apt-get install poppler-utils)")
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 at 50 dpi


def test_pdf_without_metrics_notes_or_frames(tmp_path):
    text = pdftotext(write_pdf(ReportData(SessionMeta("", CLASSES), []), tmp_path / "r.pdf"))
    assert "accuracy figures are unavailable" in text
    assert "No notes were taken" in text and "no agreement to report" in text


def test_unwritable_path_is_one_line_and_leaves_nothing(tmp_path, frames):
    target = tmp_path / "no such folder" / "report.pdf"
    with pytest.raises(ExportError, match="cannot write the PDF report") as err:
        write_pdf(ReportData(META, frames[:50], NOTES), target)
    assert "\n" not in str(err.value)
    (tmp_path / "dir.pdf").mkdir()  # the target is a folder: fails even for root
    with pytest.raises(ExportError, match="cannot write the PDF report"):
        write_pdf(ReportData(META, frames[:50]), tmp_path / "dir.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.pdf"]  # no temporary left


def test_snapshot_faces_are_blurred_by_default(tmp_path, monkeypatch, frames):
    calls = []
    real = app.core.report.blur.blur_faces
    monkeypatch.setattr(app.core.report.blur, "blur_faces",
                        lambda img, boxes: calls.append(list(boxes)) or real(img, boxes))
    snap = Snapshot(np.full((120, 160, 3), 90, np.uint8), [(40, 30, 40, 40)], 12.0)
    text = pdftotext(write_pdf(ReportData(META, frames[:50]), tmp_path / "a.pdf", snapshot=snap))
    assert calls == [[(40, 30, 40, 40)]] and "Video frame at 00:12 (faces blurred)" in text
    write_pdf(ReportData(META, frames[:50]), tmp_path / "b.pdf", snapshot=snap, blur_faces=False)
    assert len(calls) == 1


def test_int8_model_reports_its_own_accuracy_and_both_truths(tmp_path, frames):
    cons = {"accuracy": 0.8345, "n": 2775, "per_class": {
        c: {"precision": 0.9, "recall": r, "f1-score": 0.8}
        for c, r in zip(CLASSES, (0.94, 0.89, 0.91, 0.66), strict=False)}}
    metrics = {**METRICS, "test_consensus": cons, "int8_file": "fer_cnn_int8.onnx",
               "int8": {"file": "fer_cnn_int8.onnx", "float_accuracy": 0.8123,
                        "int8_accuracy": 0.8087, "agreement": 0.9977}}
    text = pdftotext(write_pdf(ReportData(META, frames[:50], (), metrics), tmp_path / "r.pdf"))
    for expected in ("Overall accuracy 80.9% on 3,589 test images", "the 2,775 images",
                     "83.5%", "int8 version", "scores 81.2%", "99.8% of the images",
                     "Recall (raters)", "0.66"):
        assert expected in text, expected


def test_export_report_writes_all_three(tmp_path, frames):
    written = export_report(frames, CLASSES, NOTES, META, pdf_path=tmp_path / "r.pdf",
                            notes_csv_path=tmp_path / "n.csv", frames_csv_path=tmp_path / "f.csv",
                            metrics=METRICS)
    assert written == [tmp_path / "f.csv", tmp_path / "n.csv", tmp_path / "r.pdf"]
    with (tmp_path / "f.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["frame", "time_s", "faces", "label", "p_happy", "p_sad", "p_surprise",
                       "p_neutral", "uncertain", "yaw_deg", "state"]
    assert len(rows) == 1 + len(frames)
    with (tmp_path / "n.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["time_s", "text", "perceived", "model_label"] and len(rows) == 8
    with pytest.raises(ExportError, match="cannot write .*f.csv"):
        export_report(frames, CLASSES, frames_csv_path=tmp_path / "none" / "f.csv")


def test_export_of_a_stored_session(tmp_path, frames):
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session(META)
        store.add_frames(sid, frames)
        for n in NOTES:
            store.add_note(sid, n)
        loaded = store.load_session(sid)
    (pdf,) = export_session(loaded, pdf_path=tmp_path / "s.pdf", metrics=None)
    text = pdftotext(pdf)
    assert all(n.text in text for n in NOTES) and "P-017" in text
