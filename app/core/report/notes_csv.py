"""The notes CSV (DESIGN.md): export with the model's label, and import of notes made elsewhere.

Export, one row per note in time order:

    time_s,text,perceived,model_label,model_status,number

`model_label` is the model's label of the note as defined in note_labels.py (the majority over
the second up to the note: the same label the app, the PDF and kappa use), empty when there is
none; `model_status` (an extra column, at the end) says why: `ok`, `uncertain`, `no_face`,
`not_analysed`, `after_end` or `turned_away`; `number` is the note's number in the app and the
PDF (the order notes were made). `perceived` is empty for untagged notes.

Import (`read_notes_csv`): a header with `time_s` and `text`, optionally `perceived` (absent
means untagged) and `model_label` (ignored: it is recomputed from the frames). Comma, semicolon
or tab separated (spreadsheets in many locales write `;`), UTF-8 with or without BOM. `time_s` is
seconds (`12.5`) or `mm:ss` / `h:mm:ss` (`1:02:03.5`). Bad input raises `NotesCsvError` naming
the file and line: a time that is not a number, negative, NaN or infinite; a missing column; a
`perceived` value that is not one of the model's classes or `other`. Extra columns are ignored.

Free text is guarded against spreadsheet formula injection: a note that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return is written with a leading `'` (Excel, LibreOffice and
Sheets then show it as text instead of running it), and the reader drops that `'` again, so a
note survives a round trip unchanged.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from app.core.errors import CoreError
from app.core.paths import open_private
from app.core.report.data import ExportError, ReportData
from app.core.session.notes import PERCEIVED_CHOICES, Note

COLUMNS = ("time_s", "text", "perceived", "model_label", "model_status", "number")
REQUIRED = ("time_s", "text")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class NotesCsvError(CoreError):
    """A notes CSV cannot be read; the message names the file and the line."""


def escape_formula(text: str) -> str:
    """Text a spreadsheet shows as text: `'` before a cell it would read as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape_formula(text: str) -> str:
    """The inverse of `escape_formula`."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def write_notes_csv(path: str | Path, data: ReportData) -> Path:
    """Write the notes CSV of a report's notes; an unwritable path raises ExportError."""
    path = Path(path)
    try:
        with open_private(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for n, label, number in zip(data.sorted_notes, data.note_labels,
                                        data.note_numbers, strict=True):
                w.writerow([f"{n.time_s:.3f}", escape_formula(n.text), n.perceived or "",
                            label.label or "", label.status, number])
    except OSError as exc:
        raise ExportError(f"cannot write the notes CSV {path}: {exc.strerror or exc}") from None
    return path


def read_notes_csv(path: str | Path, classes: Sequence[str] | None = None) -> list[Note]:
    """Notes from a CSV made elsewhere, in file order. `classes`: the model's classes (a
    `perceived` value must be one of them or `other`); default: the shipped PERCEIVED_CHOICES."""
    path = Path(path)
    allowed = (*classes, "other") if classes is not None else PERCEIVED_CHOICES
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            first = f.readline()
            f.seek(0)
            delim = max((",", ";", "\t"), key=first.count)
            reader = csv.reader(f, delimiter=delim)
            head = [h.strip().lower() for h in next(reader, [])]
            missing = [c for c in REQUIRED if c not in head]
            if missing:
                raise NotesCsvError(f"{path}, line 1: missing column {', '.join(missing)} "
                                    f"(expected a header time_s,text,perceived)")
            col = {name: head.index(name) for name in (*REQUIRED, "perceived") if name in head}
            notes = []
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                notes.append(_note(cells, col, allowed, f"{path}, line {reader.line_num}"))
            return notes
    except UnicodeDecodeError:
        raise NotesCsvError(f"{path}: not a UTF-8 text file (save the CSV as UTF-8)") from None
    except csv.Error as exc:
        raise NotesCsvError(f"{path}: not a readable CSV ({exc})") from None
    except OSError as exc:
        raise NotesCsvError(f"cannot read {path}: {exc.strerror or exc}") from None


def _note(cells: list[str], col: dict[str, int], allowed: Sequence[str], where: str) -> Note:
    def cell(name: str) -> str:
        i = col.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    if col["time_s"] >= len(cells):
        raise NotesCsvError(f"{where}: no time_s cell ({len(cells)} cells)")
    perceived = cell("perceived").lower() or None
    if perceived is not None and perceived not in allowed:
        raise NotesCsvError(f"{where}: perceived {perceived!r} is not one of "
                            f"{', '.join(allowed)} (or empty)")
    return Note(parse_time(cell("time_s"), where), unescape_formula(cell("text")), perceived)


def parse_time(text: str, where: str = "") -> float:
    """Seconds from `12.5`, `mm:ss` or `h:mm:ss`; NotesCsvError for anything else."""
    prefix = f"{where}: " if where else ""
    try:
        parts = [float(p) for p in text.split(":")]
        if not text or len(parts) > 3 or any(p < 0 for p in parts[1:]):
            raise ValueError
    except ValueError:
        raise NotesCsvError(f"{prefix}time {text!r} is not a time (seconds like 12.5, or "
                            "mm:ss)") from None
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    if math.isnan(seconds) or math.isinf(seconds):
        raise NotesCsvError(f"{prefix}time {text!r} is not a finite number of seconds")
    if seconds < 0 or text.startswith("-"):  # "-0:30" parses to +30 otherwise
        raise NotesCsvError(f"{prefix}time {text!r} is negative")
    return seconds
