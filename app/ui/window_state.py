"""The window's size and view choices: fitted to the screen at first, then remembered.

First start: 1400×900 where the screen has room, else the screen's available area (a
1366×768 laptop gets the whole of it, so the timeline, status bar and note buttons show).
Later starts: the size, position, splitter sizes, timeline range and smoothing the user left,
kept in settings.py; a saved size larger than the current screen is fitted again.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize
from PySide6.QtWidgets import QMainWindow, QSplitter

from . import settings

PREFERRED = QSize(1400, 900)


def fit_size(available: QSize, preferred: QSize = PREFERRED) -> QSize:
    return QSize(min(preferred.width(), available.width()),
                 min(preferred.height(), available.height()))


def restore(window: QMainWindow, timeline) -> None:
    screen = window.screen() or window.windowHandle() and window.windowHandle().screen()
    available = screen.availableGeometry().size() if screen else PREFERRED
    geometry = settings.get("window/geometry")
    if isinstance(geometry, QByteArray) and window.restoreGeometry(geometry):
        if window.width() > available.width() or window.height() > available.height():
            window.resize(fit_size(available, window.size()))
    else:
        window.resize(fit_size(available))
    for i, splitter in enumerate(window.centralWidget().findChildren(QSplitter)):
        state = settings.get(f"window/splitter{i}")
        if isinstance(state, QByteArray):
            splitter.restoreState(state)
    window_index = settings.get("timeline/range", None, int)
    if window_index is not None and 0 <= window_index < timeline.window_box.count():
        timeline.window_box.setCurrentIndex(window_index)
        timeline.user_range = window_index
    timeline.set_smoothed(settings.get("timeline/smoothed", False, bool))


def save(window: QMainWindow, timeline) -> None:
    settings.put("window/geometry", window.saveGeometry())
    for i, splitter in enumerate(window.centralWidget().findChildren(QSplitter)):
        settings.put(f"window/splitter{i}", splitter.saveState())
    if timeline.user_range is not None:
        settings.put("timeline/range", timeline.user_range)
    settings.put("timeline/smoothed", timeline.smoothed)
