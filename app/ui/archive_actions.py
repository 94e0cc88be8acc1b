"""The main window's archive actions: stored sessions, a patient's course, backups, exports
and the patient code (File menu). A mixin of MainWindow, which provides `sessions` (the
SessionController), `model`, `worker`, `statusBar()` and `_update_title()`."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.core.session.store import video_backup_dir

from .background import run_in_background
from .exporting import ask_path
from .patient_course_dialog import PatientCourseDialog
from .patient_dialog import ask_patient_code
from .sessions_dialog import SessionsDialog


class ArchiveActions:
    """File-menu actions on stored sessions (see the module docstring)."""

    def open_sessions_dialog(self) -> None:
        if self.sessions.store is None:
            QMessageBox.information(self, "Sessions", "Sessions are not saved in this run.")
            return
        dialog = SessionsDialog(self.sessions.store, self.sessions.session_id, self)
        # a child of the window (centred on it, modal to it), deleted once closed: a new one,
        # freshly listed, each time, and no hidden dialog left behind per use
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sigReopen.connect(self.reopen_session)
        dialog.sigPatientCourse.connect(self.open_patient_course)
        dialog.exec()

    def open_patient_course(self, patient_code: str | None = None) -> PatientCourseDialog | None:
        """File > Patient…: the course of one patient across sessions (current code first)."""
        if self.sessions.store is None:
            QMessageBox.information(self, "Patient", "Sessions are not saved in this run.")
            return None
        if self.sessions.recording is not None:
            self.sessions.recording.flush()  # the session running now counts as stored
        dialog = PatientCourseDialog(self.sessions.store, patient_code or
                                     self.sessions.patient_code, self.model.threshold.value, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sigReopen.connect(self.reopen_session)
        dialog.show()
        return dialog

    def reopen_session(self, session_id: int) -> None:
        if self.worker is not None:
            self.worker.pause()  # no new frames while the stored ones are read
        self.sessions.load(session_id)

    def backup_sessions(self, path: Path | None = None, videos: bool | None = None) -> None:
        """A consistent copy of every session (SQLite's backup API), made off the GUI thread;
        with the recorded videos (copied beside it) when asked and there are any."""
        store = self.sessions.store
        if store is None:
            QMessageBox.information(self, "Sessions", "Sessions are not saved in this run.")
            return
        if videos is None:
            videos = self.ask_backup_videos(store.video_count())
            if videos is None:
                return
        name = f"fer-companion-sessions-{time.strftime('%Y-%m-%d')}.sqlite3"
        if path := path or ask_path(self, "Back up all sessions", name,
                                    "SQLite databases (*.sqlite3)"):
            self.statusBar().showMessage(f"Backing up the sessions to {path}…")
            run_in_background(lambda: (store.backup(Path(path), videos=videos), videos),
                              self._backed_up, self.sessions.sigFailed.emit, name="fer-backup")

    def _backed_up(self, result) -> None:
        path, videos = result
        where = f" and the videos to {video_backup_dir(path)}" if videos else \
            " (videos not included)"
        self.statusBar().showMessage(f"All sessions backed up to {path}{where}", 10000)
        self.sessions.sigBackedUp.emit(path)

    def _ask_backup_videos(self, count: int) -> bool | None:
        """Include the recorded videos? True/False, None: cancelled. No videos: False."""
        if count == 0:
            return False
        box = QMessageBox(QMessageBox.Icon.Question, "Back up sessions",
                          f"{count} session{'s have' if count != 1 else ' has'} a recorded "
                          "video. Include the videos in the backup? They are copied to a "
                          "folder beside the backup file and can be large.", parent=self)
        box.addButton("Include videos", QMessageBox.ButtonRole.YesRole)
        box.addButton("Sessions only", QMessageBox.ButtonRole.NoRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        role = box.buttonRole(clicked) if clicked is not None else None
        box.deleteLater()
        if role not in (QMessageBox.ButtonRole.YesRole, QMessageBox.ButtonRole.NoRole):
            return None
        return role == QMessageBox.ButtonRole.YesRole

    def ask_patient_code(self) -> None:
        code = ask_patient_code(self, self.sessions.patient_code)
        if code is not None:
            self.sessions.set_patient_code(code)
            self._update_title()

    def export_csv(self, path: Path | None = None) -> None:
        name = self.sessions.default_export_name("_frames.csv")
        if self.sessions.can_export() and (path := path or ask_path(
                self, "Export frames and notes CSV", name, "CSV files (*.csv)")):
            self.sessions.export("csv", Path(path))

    def export_pdf(self, path: Path | None = None) -> None:
        name = self.sessions.default_export_name("_report.pdf")
        if self.sessions.can_export() and (path := path or ask_path(
                self, "Export PDF report", name, "PDF files (*.pdf)")):
            self.sessions.export("pdf", Path(path))
