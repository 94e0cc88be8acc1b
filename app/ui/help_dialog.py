"""F1: the keyboard shortcuts, read from the window's own actions so the list cannot go stale."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from .layout import readonly_table

MOUSE = (
    ("Click a face in the video", "make that person the patient"),
    ("Click the timeline", "jump to that time"),
    ("Click a note", "jump to the note's time and edit it"),
    ("Drag / wheel on the timeline", "pan / zoom (choose a window to follow again)"),
)

NOTES = (
    "<b>Writing notes.</b> N (or Ctrl+N) starts a note at the current time and puts the cursor "
    "in it; Enter saves it, Shift+Enter starts a new line. Digits you type in a note stay text. "
    "To tag what you perceived, press <b>Alt+1…5</b> while typing, or <b>1…5</b> once the note "
    "is saved (0 removes the tag); the buttons under the note show the same tags. "
    "Ctrl+Z (outside a note) undoes the last click on a face."
)

ABOUT = (
    "The timeline shows the model's class probabilities for the patient's face. Gaps mean no "
    "face was found; a sand band means the face was there but turned away (a profile, or the "
    "head turned 50° or more), and its emotion is not read. 'Smoothed' shows a moving average "
    "over about half a second; the stored results stay raw. Frames already analysed are never "
    "analysed again: replaying or seeking back shows the stored results. The model supports "
    "the clinician's judgement; it does not diagnose."
)


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…"), "  or  ".join(keys)))
    return rows


class HelpDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions) + [(what, how) for how, what in MOUSE]
        self.table = readonly_table(["Action", "Keys / mouse"], [list(r) for r in rows])
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        notes = QLabel(NOTES)
        notes.setWordWrap(True)
        notes.setTextFormat(Qt.TextFormat.RichText)
        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setObjectName("muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(notes)
        layout.addWidget(self.table, 1)
        layout.addWidget(about)
        layout.addWidget(buttons)
        self.resize(580, 600)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
