"""File > Export CSV… / Export PDF…: the stored session written by the core exporters.

The export reads the session back from the store (after the recording flushed), so the files
hold exactly what was saved, in the same formats as `fer-analyze`. The work runs off the GUI
thread; these functions are Qt-free apart from the file-name dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.analysis.uncertainty import OFF, Threshold
from app.core.report.data import load_metrics
from app.core.report.exports import export_session
from app.core.session.store import SessionStore


def default_name(patient_code: str, started_at: str, suffix: str) -> str:
    """e.g. P-017_2026-11-24_0930_frames.csv: sortable, and no name of a person in it."""
    stamp = started_at[:16].replace("T", "_").replace(":", "")
    return f"{patient_code or 'session'}_{stamp}{suffix}"


def ask_path(parent: QWidget, title: str, name: str, file_filter: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / name), file_filter)
    return Path(path) if path else None


def notes_path_for(frames_path: Path) -> Path:
    stem = frames_path.stem.removesuffix("_frames")
    return frames_path.with_name(f"{stem}_notes.csv")


def export_csv(store: SessionStore, session_id: int, frames_path: Path,
               threshold: Threshold = OFF) -> list[Path]:
    """Frames CSV at `frames_path` and the notes CSV beside it (`…_notes.csv`)."""
    loaded = store.load_session(session_id)
    return export_session(loaded, frames_csv_path=frames_path,
                          notes_csv_path=notes_path_for(frames_path), threshold=threshold)


def export_pdf(store: SessionStore, session_id: int, pdf_path: Path,
               model_path: Path | None, threshold: Threshold = OFF) -> list[Path]:
    """The session report; the model's metrics.json (beside it) adds its accuracy figures."""
    loaded = store.load_session(session_id)
    return export_session(loaded, pdf_path=pdf_path, metrics=load_metrics(model_path),
                          threshold=threshold)
