"""File > Sessions…: the recorded sessions, to reopen, rename (patient code) or delete, or to
see the selected patient's course across sessions (`sigPatientCourse`); the
find box narrows the list to the sessions whose patient code, title, clinician or source holds
what is typed (a clinician's year of sessions is hundreds of rows).

Reopening is the window's business (`sigReopen(session_id)`); renaming and deleting go straight
to the store. Deleting asks first and is refused for the session being recorded right now;
deleting a session deletes its recorded video, and *Delete video…* deletes only the video
(analysis and notes stay).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import CoreError
from app.core.session.store import SessionStore, SessionSummary

from .patient_dialog import ask_patient_code
from .timefmt import format_time
from .wording import count

COLUMNS = ("Patient", "Started", "Source", "Duration", "Frames", "Notes", "Video")


class SessionsDialog(QDialog):
    sigReopen = Signal(int)
    sigPatientCourse = Signal(str)  # the selected session's patient code: show the course

    def __init__(self, store: SessionStore, current_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Sessions")
        self.store, self.current_id = store, current_id
        self.confirm: Callable[[str], bool] = self._ask  # tests replace it
        self.ask_code: Callable[[str], str | None] = lambda code: ask_patient_code(self, code)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self.reopen_selected)
        self.find = QLineEdit()
        self.find.setPlaceholderText("Find: patient code, title, clinician or source")
        self.find.setClearButtonEnabled(True)
        self.find.textChanged.connect(self._filter)
        self.count = QLabel()
        self.count.setObjectName("muted")
        self.message = QLabel()
        self.message.setObjectName("muted")
        buttons = QHBoxLayout()
        for text, slot in (("Reopen", self.reopen_selected), ("Rename…", self.rename_selected),
                           ("Delete…", self.delete_selected),
                           ("Delete video…", self.delete_video_selected),
                           ("Patient course…", self.course_of_selected)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.find, 1)
        top.addWidget(self.count)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(760, 420)
        self.refresh()

    def refresh(self) -> None:
        try:
            self.sessions: list[SessionSummary] = self.store.list_sessions()
        except CoreError as exc:
            self.sessions = []
            self.message.setText(str(exc))
        self.table.setRowCount(len(self.sessions))
        for row, s in enumerate(self.sessions):
            current = " (now)" if s.id == self.current_id else ""
            cells = (s.title + current, s.started_at.replace("T", " ")[:16], s.source,
                     format_time(s.duration_s), f"{s.frames:,}", str(s.notes),
                     "recorded" if self._has_video(s.id) else "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._filter(self.find.text())

    def _filter(self, text: str) -> None:
        """Show only the sessions that hold `text` (any case); select the first one shown."""
        words = text.casefold().split()
        shown = 0
        for row, s in enumerate(self.sessions):
            hay = " ".join((s.patient_code, s.session_title, s.clinician, s.source)).casefold()
            hide = not all(w in hay for w in words)
            self.table.setRowHidden(row, hide)
            if not hide:
                if shown == 0:
                    self.table.selectRow(row)
                shown += 1
        if not shown:
            self.table.clearSelection()
        self.count.setText(f"{shown} of {count(len(self.sessions), 'session')}" if words
                           else count(len(self.sessions), "session"))

    def selected(self) -> SessionSummary | None:
        rows = [r.row() for r in self.table.selectionModel().selectedRows()
                if not self.table.isRowHidden(r.row())]
        return self.sessions[rows[0]] if rows else None

    def reopen_selected(self, *_) -> None:
        s = self.selected()
        if s is not None:
            self.sigReopen.emit(s.id)
            self.accept()

    def course_of_selected(self) -> None:
        s = self.selected()
        if s is None or not s.patient_code:
            self.message.setText("Select a session with a patient code to see the course.")
            return
        self.sigPatientCourse.emit(s.patient_code)
        self.accept()

    def rename_selected(self) -> None:
        s = self.selected()
        code = self.ask_code(s.patient_code) if s is not None else None
        if code is not None:
            self._try(lambda: self.store.rename_session(s.id, code))

    def delete_selected(self) -> None:
        s = self.selected()
        if s is None:
            return
        if s.id == self.current_id:
            self.message.setText("This session is being recorded; open another source first.")
            return
        video = " and its recorded video" if self._has_video(s.id) else ""
        question = (f"Delete session '{s.title}' of {s.started_at[:16].replace('T', ' ')} "
                    f"with {s.frames:,} frames and {s.notes} notes{video}? This cannot be "
                    "undone.")
        if self.confirm(question):
            self._try(lambda: self.store.delete_session(s.id))

    def delete_video_selected(self) -> None:
        """Delete the recorded video of the selected session; its analysis and notes stay."""
        s = self.selected()
        if s is None:
            return
        if not self._has_video(s.id):
            self.message.setText("This session has no recorded video (a recording's own file "
                                 "is never deleted here).")
            return
        if s.id == self.current_id:
            self.message.setText("This session's video is being recorded; open another source "
                                 "first.")
            return
        question = (f"Delete the recorded video of '{s.title}' of "
                    f"{s.started_at[:16].replace('T', ' ')}? Its timeline, analysis and "
                    f"{s.notes} notes are kept. This cannot be undone.")
        if self.confirm(question):
            self._try(lambda: self.store.delete_video(s.id))

    def _has_video(self, session_id: int) -> bool:
        try:
            return self.store.has_video(session_id)
        except CoreError:
            return False

    def _try(self, action) -> None:
        try:
            action()
        except CoreError as exc:
            self.message.setText(str(exc))
        self.refresh()

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Delete", question,
                                      defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes
