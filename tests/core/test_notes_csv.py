"""Notes CSV: export columns and model label; import of notes made elsewhere, with clear errors."""

from __future__ import annotations

import csv

import pytest

from app.core.analysis.results import FrameResult
from app.core.report.data import ExportError, ReportData
from app.core.report.notes_csv import NotesCsvError, read_notes_csv, write_notes_csv
from app.core.session.notes import Note
from app.core.session.types import SessionMeta

CLASSES = ("happy", "sad", "surprise", "neutral")
P = (0.7, 0.1, 0.1, 0.1)
FRAMES = [FrameResult(0, 0.0), FrameResult(1, 1.0, (), "happy", P),
          FrameResult(2, 2.0), FrameResult(3, 3.0),
          FrameResult(4, 4.0, (), "sad", (0.1, 0.7, 0.1, 0.1))]


def write(path, notes, frames=FRAMES):
    return write_notes_csv(path, ReportData(SessionMeta("", CLASSES), frames, notes))


def test_export_columns_and_model_label(tmp_path):
    notes = [Note(4.5, 'says "fine", then silent', "sad", 2), Note(1.25, "smiles", "happy", 1),
             Note(3.0, "no face here"), Note(9.0, "after the end", "sad")]
    path = write(tmp_path / "notes.csv", notes)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows == [
        ["time_s", "text", "perceived", "model_label", "model_status", "number"],
        ["1.250", "smiles", "happy", "happy", "ok", "1"],
        ["3.000", "no face here", "", "", "no_face", "3"],
        ["4.500", 'says "fine", then silent', "sad", "sad", "ok", "2"],
        ["9.000", "after the end", "sad", "", "after_end", "4"],
    ]
    # our own export reads back
    assert read_notes_csv(path, CLASSES) == sorted(
        [Note(n.time_s, n.text, n.perceived) for n in notes], key=lambda n: n.time_s)


def test_export_to_an_unwritable_path_is_one_line(tmp_path):
    with pytest.raises(ExportError, match="cannot write the notes CSV"):
        write(tmp_path / "missing" / "notes.csv", [], FRAMES)


def test_reads_semicolons_bom_clock_times_and_optional_columns(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("\ufeffTime_s;Text\n12.5;Weint\n01:02;Lacht\n1:00:00.5;Ende\n\n",
                    encoding="utf-8")
    assert read_notes_csv(path) == [Note(12.5, "Weint"), Note(62.0, "Lacht"),
                                    Note(3600.5, "Ende")]


@pytest.mark.parametrize("cell, why", [
    ("soon", "is not a time"), ("-3", "negative"), ("-0:30", "negative"), ("nan", "not a finite"),
    ("inf", "not a finite"), ("", "is not a time"), ("1:2:3:4", "is not a time"),
])
def test_bad_times_name_the_line(tmp_path, cell, why):
    path = tmp_path / "n.csv"
    path.write_text(f"time_s,text,perceived\n1.0,ok,happy\n{cell},bad,\n", encoding="utf-8")
    with pytest.raises(NotesCsvError, match=f"line 3: time .*{why}") as err:
        read_notes_csv(path, CLASSES)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_line_numbers_count_multiline_notes(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text('time_s,text\n1,"two\nlines"\nx,bad\n', encoding="utf-8")
    with pytest.raises(NotesCsvError, match="line 4"):
        read_notes_csv(path)


def test_missing_column_and_unknown_perceived(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("time,text\n1,a\n", encoding="utf-8")
    with pytest.raises(NotesCsvError, match="line 1: missing column time_s"):
        read_notes_csv(path)
    path.write_text("time_s,text,perceived\n1,a,Happy\n2,b,angry\n", encoding="utf-8")
    with pytest.raises(NotesCsvError, match="line 3: perceived 'angry' is not one of happy"):
        read_notes_csv(path, CLASSES)
    path.write_text("time_s,text,perceived\n1,a,other\n", encoding="utf-8")
    assert read_notes_csv(path, CLASSES) == [Note(1.0, "a", "other")]


def test_unreadable_files(tmp_path):
    with pytest.raises(NotesCsvError, match="cannot read"):
        read_notes_csv(tmp_path / "absent.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("time_s,text\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(NotesCsvError, match="UTF-8"):
        read_notes_csv(path)


def test_formula_like_notes_are_text_in_a_spreadsheet_and_round_trip(tmp_path):
    texts = ["=HYPERLINK(\"http://x\")", "+1 smile", "-looks away", "@sum", "plain", "'quoted"]
    notes = [Note(float(i), t, None) for i, t in enumerate(texts)]
    path = write(tmp_path / "n.csv", notes, [])
    with path.open(newline="", encoding="utf-8") as f:
        cells = [row[1] for row in csv.reader(f)][1:]
    assert cells == ["'=HYPERLINK(\"http://x\")", "'+1 smile", "'-looks away", "'@sum", "plain",
                     "'quoted"]
    assert [n.text for n in read_notes_csv(path)] == texts
