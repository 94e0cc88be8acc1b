"""File > Patient… (and *Patient course…* in the Sessions dialog): one patient's sessions.

A patient code is picked from the codes stored; the course (report/patient_course.py) is read
off the GUI thread and shown as a table (one row per session, as the PDF) under the figure of
each emotion's share across the sessions (the PNG the PDF holds). *Export PDF…* / *Export
CSV…* write the same figures. A double click on a row reopens that session (`sigReopen`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.core.analysis.uncertainty import UNCERTAIN
from app.core.errors import CoreError
from app.core.report.looking_away import MIN_EPISODE_S
from app.core.report.patient_course import (
    PatientCourse,
    differs_text,
    patient_codes,
    patient_course,
    write_course_csv,
)
from app.core.report.patient_course_pdf import (
    AWAY_HEAD,
    BASELINE_MARK,
    DIFFERS_MARK,
    away_text,
    course_png,
    session_date,
    write_course_pdf,
)
from app.core.session.store import SessionStore

from .background import run_in_background
from .exporting import ask_path
from .timefmt import format_time


class PatientCourseDialog(QDialog):
    sigReopen = Signal(int)
    sigLoaded = Signal(object)  # PatientCourse shown (tests wait for it)

    def __init__(self, store: SessionStore, patient_code: str = "", below: float = 0.0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Patient course")
        self.store, self.below = store, below
        self.course: PatientCourse | None = None
        self.ask_path: Callable[[str, str, str], Path | None] = \
            lambda title, name, filt: ask_path(self, title, name, filt)  # tests replace it
        self.codes = QComboBox()
        self.codes.currentIndexChanged.connect(self._load)
        self.figure = QLabel()
        self.figure.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.figure.setMinimumHeight(220)
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.doubleClicked.connect(self._reopen)
        self.message = QLabel()
        self.message.setObjectName("muted")
        self.message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Patient code"))
        top.addWidget(self.codes, 1)
        buttons = QHBoxLayout()
        self.pdf_button = QPushButton("Export PDF…")
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for b in (self.pdf_button, self.csv_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.figure)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(1100, 640)
        try:
            known = patient_codes(store)
        except CoreError as exc:
            known = []
            self.message.setText(str(exc))
        for code, n in known:
            self.codes.addItem(f"{code} ({n} session{'s' if n != 1 else ''})", code)
        if not known:
            self.message.setText(self.message.text() or "No session has a patient code yet.")
        at = self.codes.findData(patient_code)
        if at > 0:
            self.codes.setCurrentIndex(at)  # index 0 was loaded when the first item came
        self._set_enabled()

    def _set_enabled(self) -> None:
        ok = self.course is not None and bool(self.course.rows)
        self.pdf_button.setEnabled(ok)
        self.csv_button.setEnabled(ok)

    def _load(self, *_) -> None:
        code = self.codes.currentData()
        if code is None:
            return
        self.message.setText(f"Reading the sessions of {code}…")
        store, below = self.store, self.below
        run_in_background(lambda: patient_course(store, code, below),
                          self._show, self._say, name="fer-patient-course")

    def _show(self, course: PatientCourse) -> None:
        if not isValid(self):
            return  # closed (and deleted) while the course was being read
        if course.patient_code != self.codes.currentData():
            return  # another code was picked meanwhile
        self.course = course
        png = course_png(course, width_in=10, height_in=2.6, dpi=100)
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.figure.setPixmap(pixmap)
        unsure = [UNCERTAIN] if course.threshold > 0 else []
        head = ["Date", "Title", "Duration", *course.classes, *unsure, "No face", "No signal",
                AWAY_HEAD, "Notes", "Kappa (n)", "Marks"]
        self.table.clear()
        self.table.setColumnCount(len(head))
        self.table.setHorizontalHeaderLabels(head)
        self.table.setRowCount(len(course.rows))
        away_col = head.index(AWAY_HEAD)
        for row, r in enumerate(course.rows):
            marks = ([f"{BASELINE_MARK} baseline"] if r.baseline else []) + \
                ([f"{DIFFERS_MARK} {differs_text(r)}"] if r.differs else [])
            cells = [session_date(r.started_at), r.title, format_time(r.duration_s),
                     *(_pct(r.shares.get(c)) for c in course.classes),
                     *([_pct(r.uncertain)] if unsure else []), format_time(r.no_face_s),
                     format_time(r.no_signal_s), away_text(r), str(r.notes),
                     "–" if r.kappa is None else f"{r.kappa:.2f} ({r.kappa_notes})",
                     ", ".join(marks)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r.session_id)
                if marks and col == len(cells) - 1:
                    item.setToolTip(f"{r.model}; detector {r.detector or 'not recorded'}")
                elif col == away_col:
                    item.setToolTip(AWAY_TIP)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        base = " · * baseline-corrected figures" if any(r.baseline for r in course.rows) else ""
        other = (" · † analysed with another model or detector than most sessions"
                 if course.marked else "")
        self.message.setText(f"Shares of the frames showing the patient's face{base}{other}. "
                             "Looking away: episodes · their time (the longest). "
                             "Double-click a session to reopen it.")
        self._set_enabled()
        self.sigLoaded.emit(course)

    def _reopen(self, index) -> None:
        item = self.table.item(index.row(), 0)
        if item is not None:
            self.sigReopen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
            self.accept()

    def export(self, kind: str, path: Path | None = None) -> None:
        course = self.course
        if course is None or not course.rows:
            return
        suffix, filt = (("_course.pdf", "PDF files (*.pdf)") if kind == "pdf"
                        else ("_course.csv", "CSV files (*.csv)"))
        path = path or self.ask_path(f"Export patient course ({kind.upper()})",
                                     f"{course.patient_code}{suffix}", filt)
        if not path:
            return
        write = write_course_pdf if kind == "pdf" else write_course_csv
        self.message.setText(f"Writing {Path(path).name}…")
        run_in_background(lambda: write(course, Path(path)),
                          lambda p: self._say(f"Exported {p}"), self._say,
                          name="fer-course-export")

    def _say(self, text: str) -> None:
        if isValid(self):  # the dialog may be closed before a background job ends
            self.message.setText(text)


AWAY_TIP = ("Looking-away episodes · their total time (the longest): the face there but "
            f"turned away for {MIN_EPISODE_S:g} s or more, as in the session report")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f} %"
