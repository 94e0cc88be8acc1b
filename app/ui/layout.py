"""The window layout: video (with its transport bar) left, notes right, timeline below.

Splitters let the clinician give the timeline or the notes more room; panels are framed white
cards on the grey window so the three areas read as separate at a glance.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QSplitter, QVBoxLayout, QWidget


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
