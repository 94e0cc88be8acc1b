"""Look of the app: a calm light theme, class colours and face-box colours in one place.

Class colours come from app/core/report/palette.py, the same table the PDF report uses.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from app.core.report import palette

ACCENT = "#1F7A8C"  # teal: selection, notes
PATIENT = "#19C37D"  # patient face box: stands out on any video
OTHER_FACE = "#D8DEE4"
NOTE = "#1F7A8C"
PLAYHEAD = "#C0392B"
SWITCH = palette.SWITCH_COLOUR  # a patient switch on the timeline
NO_SIGNAL = "#4A5560"  # a live source's outage on the timeline (hatched band)
TURNED_AWAY = palette.TURNED_AWAY_COLOUR  # the patient's face turned away: a timeline band
UNCERTAIN = "#8A939B"  # the uncertainty threshold line, uncertain face tags
BASELINE_EDGE = palette.BASELINE_COLOUR  # the baseline stretch (the PDF shades it alike)
BASELINE_FILL = QColor(palette.BASELINE_COLOUR)
BASELINE_FILL.setAlpha(70)
TEXT = "#1E2A32"
MUTED = "#5B6770"

_STYLE = f"""
QMainWindow, QDialog {{ background: #F3F5F7; }}
QLabel#panelTitle {{ font-weight: 600; font-size: 11pt; color: {TEXT}; }}
QLabel#muted {{ color: {MUTED}; }}
QFrame#panel {{ background: white; border: 1px solid #D5DBE1; border-radius: 6px; }}
QListWidget {{ border: 1px solid #D5DBE1; border-radius: 4px; background: white; }}
QListWidget::item {{ padding: 6px 4px; border-bottom: 1px solid #EEF1F4; }}
QListWidget::item:selected {{ background: #DCEFF3; color: {TEXT}; }}
QStatusBar {{ background: #E8ECEF; color: {TEXT}; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border-radius: 4px; padding: 5px 12px;
    font-weight: 600; }}
QPushButton#primary:hover {{ background: #25909F; }}
"""


def class_colour(name: str, index: int) -> QColor:
    return QColor(palette.class_colour(name, index))


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor("#F3F5F7"))
    pal.setColor(QPalette.ColorRole.Base, QColor("white"))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#F6F8FA"))
    pal.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Button, QColor("#E9EDF0"))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("white"))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), 10))
    app.setFont(font)
    app.setStyleSheet(_STYLE)
