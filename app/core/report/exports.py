"""One call for the record of a session: PDF report, notes CSV and frames CSV.

`export_report(results, classes, notes, meta, pdf_path=..., notes_csv_path=...)` serves
`fer-analyze --pdf/--notes` (a recording, notes made elsewhere read with
`notes_csv.read_notes_csv`) and `export_session(loaded, ...)` the app (a stored session), so both
give the same report. Every failure is a one-line `ExportError` (`NotesCsvError` belongs to
reading); what was written before it stays written, and nothing in the session store is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from app.core.analysis.live_feed import Outage
from app.core.analysis.results import FrameResult
from app.core.analysis.uncertainty import OFF, Threshold
from app.core.errors import CoreError
from app.core.report.data import ExportError, ReportData
from app.core.report.frames_csv import FramesCsvWriter
from app.core.report.notes_csv import write_notes_csv
from app.core.report.pdf import Snapshot, write_pdf
from app.core.session.notes import Note
from app.core.session.store import LoadedSession, SessionMeta
from app.core.session.types import Event

__all__ = ["ExportError", "export_report", "export_session", "write_frames_csv"]


def write_frames_csv(path: str | Path, frames: Sequence[FrameResult],
                     classes: Sequence[str], threshold: Threshold = OFF,
                     raw: Sequence[FrameResult] | None = None,
                     outages: Sequence[Outage] = ()) -> Path:
    """The frames CSV of DESIGN.md for frames already in memory (a stored session); `raw`:
    the frames before a baseline correction (adds the `raw_p_*` columns); `outages` of a
    live session that lost its signal add the `no_signal_s` column."""
    counted = (lambda: outages) if outages else None
    try:
        with FramesCsvWriter(path, classes, threshold=threshold, raw=raw is not None,
                             outages=counted) as writer:
            writer.write_all(frames, raw)
    except OSError as exc:
        raise ExportError(f"cannot write the frames CSV {path}: {exc.strerror or exc}") from None
    except CoreError as exc:
        raise ExportError(str(exc)) from None
    return Path(path)


def export_report(
    results: Sequence[FrameResult],
    classes: Sequence[str],
    notes: Sequence[Note] = (),
    meta: SessionMeta | None = None,
    *,
    pdf_path: str | Path | None = None,
    notes_csv_path: str | Path | None = None,
    frames_csv_path: str | Path | None = None,
    metrics: dict | None = None,
    threshold: Threshold = OFF,
    snapshot: Snapshot | None = None,
    blur_faces: bool = True,
    events: Sequence[Event] = (),
) -> list[Path]:
    """Write the requested files (each path optional); returns the paths written.

    `meta` defaults to an anonymous session (no patient code); its classes are set to
    `classes`. `metrics`: the model's metrics.json (`report_data.load_metrics(model_path)`);
    `threshold`: the model's uncertainty threshold (`uncertainty.threshold_for`). Notes get the
    one model label of note_labels.py in the notes CSV and the PDF alike. `meta.baseline`
    (baseline.py): labels, CSVs and PDF use the corrected probabilities, raw kept in the CSV.
    """
    classes = tuple(classes)
    meta = replace(meta, classes=classes) if meta else SessionMeta("", classes)
    raw = list(results)
    # With a baseline, everything reads the corrected probabilities; the raw ones stay in
    # the frames CSV's extra columns.
    frames = meta.baseline.apply(raw, classes) if meta.baseline else raw
    data = ReportData(meta, frames, notes, metrics, threshold,
                      raw_frames=raw if meta.baseline else None, events=events)
    written = []
    if frames_csv_path is not None:
        written.append(write_frames_csv(frames_csv_path, frames, classes, threshold,
                                        raw if meta.baseline else None, data.outages))
    if notes_csv_path is not None:
        written.append(write_notes_csv(notes_csv_path, data))
    if pdf_path is not None:
        written.append(write_pdf(data, pdf_path, snapshot=snapshot, blur_faces=blur_faces))
    return written


def export_session(session: LoadedSession, **paths) -> list[Path]:
    """`export_report` for a stored session; keyword arguments as there."""
    return export_report(session.frames, session.meta.classes, session.notes, session.meta,
                         events=session.events, **paths)
