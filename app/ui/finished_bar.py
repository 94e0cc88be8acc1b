"""The end of a recording as a state: "Finished — export?" with the exports one click away.

Shown in the status bar when the source has no more frames; the session is flushed first, so
the status says what is true ("saved", not "saving"). Play at the end does not start over
silently: it shows this bar again; Home (or a click on the timeline) goes back.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class FinishedBar(QWidget):
    def __init__(self, export_pdf, export_csv, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel("<b>Finished</b> — export?")
        self.pdf_button = QPushButton("Export PDF…")
        self.pdf_button.setObjectName("primary")
        self.pdf_button.clicked.connect(lambda: export_pdf())
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.clicked.connect(lambda: export_csv())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        for w in (self.label, self.pdf_button, self.csv_button):
            layout.addWidget(w)
        layout.addStretch(1)
        self.hide()

    def show_finished(self, recorded: bool) -> None:
        self.label.setText("<b>Finished</b> — export?" if recorded else
                           "<b>Finished</b> — not recorded (File > New session… to record)")
        for b in (self.pdf_button, self.csv_button):
            b.setVisible(recorded)
        self.show()
