"""fer-analyze --pdf/--notes: the same report for a recording as the app gives a session."""

import csv
import shutil
import subprocess

import pytest

from app.core.cli import main


def test_pdf_and_notes_for_a_recording(tmp_path, face_clip, tiny_model, capsys):
    notes = tmp_path / "notes.csv"
    notes.write_text("time_s,text,perceived\n0.2,smiles when greeting,happy\n0.6,looks away,\n")
    out = tmp_path / "clip.frames.csv"
    rc = main([str(face_clip), "--csv", str(out), "--model", str(tiny_model),
               "--pdf", str(tmp_path / "report.pdf"), "--notes", str(notes)])
    assert rc == 0, capsys.readouterr().err
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    with open(tmp_path / "clip.notes.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows] == ["smiles when greeting", "looks away"]
    assert list(rows[0]) == ["time_s", "text", "perceived", "model_label", "model_status", "number"]
    assert rows[0]["perceived"] == "happy" and rows[0]["model_label"] in {
        "happy", "sad", "surprise", "neutral"}
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "smiles when greeting" in text and "not a diagnosis" in text


@pytest.mark.parametrize("body, expect", [
    ("time_s,text,perceived\nabc,x,happy\n", "line 2"),
    ("time_s,text,perceived\n-3,x,happy\n", "line 2"),
    ("when,text\n1,x\n", "time_s"),
])
def test_bad_notes_fail_before_analysis(tmp_path, face_clip, tiny_model, capsys, body, expect):
    notes = tmp_path / "notes.csv"
    notes.write_text(body)
    out = tmp_path / "f.csv"
    rc = main([str(face_clip), "--csv", str(out), "--model", str(tiny_model),
               "--notes", str(notes)])
    err = capsys.readouterr().err
    assert rc != 0 and expect in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()  # failed fast, before any analysis


def test_unwritable_pdf_path_fails_before_the_analysis(tmp_path, face_clip, tiny_model, capsys):
    out = tmp_path / "f.csv"
    rc = main([str(face_clip), "--csv", str(out), "--model", str(tiny_model),
               "--pdf", str(tmp_path / "missing-dir" / "sub" / "r.pdf")])
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err and "fer-analyze: error:" in err
    assert not out.exists()  # found up front, not after the whole analysis (issue 13.8)
