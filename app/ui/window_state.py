"""The window's size and view choices: fitted to the screen at first, then remembered.

First start: 1400×900 where the screen has room, else the screen's available area (a
1366×768 laptop gets the whole of it, so the timeline, status bar and note buttons show).
Later starts: the size, position, splitter sizes, timeline range and smoothing the user left,
kept in settings.py; a saved size larger than the current screen is fitted again.

The window manager's frame (title bar, borders) is only known once the window is shown, so
`FrameFitter` checks it then, and while the window manager settles it (the first seconds): the
whole frame, title bar included, is moved and, if need be, shrunk into the available area, so
the status bar is never pushed off the bottom of the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, QTimer
from PySide6.QtWidgets import QMainWindow, QSplitter

from . import settings

PREFERRED = QSize(1400, 900)


def fit_size(available: QSize, preferred: QSize = PREFERRED) -> QSize:
    return QSize(min(preferred.width(), available.width()),
                 min(preferred.height(), available.height()))


def fitted(frame: QRect, client: QRect, available: QRect) -> QRect:
    """The client geometry that puts the whole frame (title bar included) inside `available`,
    shrinking only what does not fit; `frame`/`client` as the window has them now."""
    left, top = client.x() - frame.x(), client.y() - frame.y()
    extra_w, extra_h = frame.width() - client.width(), frame.height() - client.height()
    w = max(1, min(client.width(), available.width() - extra_w))
    h = max(1, min(client.height(), available.height() - extra_h))
    x = min(max(frame.x(), available.x()), available.x() + available.width() - (w + extra_w))
    y = min(max(frame.y(), available.y()), available.y() + available.height() - (h + extra_h))
    return QRect(x + left, y + top, w, h)


def fit_frame(window: QMainWindow) -> bool:
    """Fit the window's frame into its screen's available area; True if it had to move."""
    screen = window.screen()
    if screen is None or window.isMaximized() or window.isFullScreen():
        return False
    client = window.geometry()
    target = fitted(window.frameGeometry(), client, screen.availableGeometry())
    if target == client:
        return False
    window.setGeometry(target)
    return True


class FrameFitter(QObject):
    """Keeps the frame on screen while the window manager places and decorates the window
    (for `SETTLE_S` after it is first shown); then it leaves the window to the user."""

    SETTLE_S = 3.0
    WATCH = (QEvent.Type.Show, QEvent.Type.Move, QEvent.Type.Resize)

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self._window, self._shown = window, False
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        try:
            kind = event.type()
        except (AttributeError, RuntimeError):  # an event of a window being destroyed
            return False
        if obj is self._window and kind in self.WATCH:
            if not self._shown and kind == QEvent.Type.Show:
                self._shown = True
                QTimer.singleShot(int(self.SETTLE_S * 1000), self, self._settled)
            if self._shown:
                fit_frame(self._window)
        return False

    def _settled(self) -> None:
        self._window.removeEventFilter(self)


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
    window.frame_fitter = FrameFitter(window)


def save(window: QMainWindow, timeline) -> None:
    settings.put("window/geometry", window.saveGeometry())
    for i, splitter in enumerate(window.centralWidget().findChildren(QSplitter)):
        settings.put(f"window/splitter{i}", splitter.saveState())
    if timeline.user_range is not None:
        settings.put("timeline/range", timeline.user_range)
    settings.put("timeline/smoothed", timeline.smoothed)
