"""The window layout: video (with its transport bar) left, notes right, timeline below.

Splitters let the clinician give the timeline or the notes more room; panels are framed white
cards on the grey window so the three areas read as separate at a glance.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def readonly_table(header: list[str], rows: list[list[str]]) -> QTableWidget:
    """A table to read, not to edit or select in (the help and model dialogs)."""
    table = QTableWidget(len(rows), len(header))
    table.setHorizontalHeaderLabels(header)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))
    return table


def panel(*widgets: QWidget, stretch_first: bool = False) -> QFrame:
    frame = QFrame()
    frame.setObjectName("panel")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(1, 1, 1, 1)
    layout.setSpacing(0)
    for i, w in enumerate(widgets):
        layout.addWidget(w, 1 if stretch_first and i == 0 else 0)
    return frame


def main_layout(video: QWidget, transport: QWidget, notes: QWidget,
                timeline: QWidget, *below_video: QWidget) -> QSplitter:
    top = QSplitter(Qt.Orientation.Horizontal)
    top.addWidget(panel(video, transport, *below_video, stretch_first=True))
    top.addWidget(panel(notes))
    top.setStretchFactor(0, 3)
    top.setStretchFactor(1, 1)
    top.setSizes([960, 400])
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(top)
    split.addWidget(panel(timeline))
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 2)
    split.setSizes([540, 300])
    split.setContentsMargins(8, 8, 8, 4)
    return split
