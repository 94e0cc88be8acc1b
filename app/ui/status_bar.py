"""A status bar whose messages are shortened in the middle, never cut mid-word at the end.

QStatusBar clips a long message at the right ("Exported /tmp/…/p2_fi", "Home goe"): the end of a
path (the file's name) or of a sentence is lost. Here the message is drawn elided in the middle
to the room left of the permanent labels, and the whole text is the bar's tooltip while it
shows. Labels handed to `make_room` (details that can wait: the source, counts) step aside
while a message shows, so it has room to be read. `showMessage`/`clearMessage` are
QStatusBar's own: every caller keeps using them.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizeGrip, QStatusBar, QStyle, QStyleOption, QWidget

MARGIN = 6


class ElidingStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._minor: list[QWidget] = []
        self.messageChanged.connect(self._message_changed)

    def make_room(self, *widgets: QWidget) -> None:
        """Hide these permanent labels while a message shows."""
        self._minor.extend(widgets)

    def _message_changed(self, text: str) -> None:
        self.setToolTip(text)  # the whole text ('' clears it)
        for w in self._minor:
            w.setVisible(not text)

    def message_rect(self) -> QRect:
        """Where a message is drawn: from the left edge to the first permanent label."""
        right = self.width()
        for child in self.children():
            if isinstance(child, QWidget) and not isinstance(child, QSizeGrip) \
                    and child.isVisible() and child.parent() is self:
                right = min(right, child.geometry().left())
        return QRect(MARGIN, 0, max(0, right - 2 * MARGIN), self.height())

    def shown_message(self) -> str:
        """The message as drawn now (elided in the middle when it does not fit)."""
        return self.fontMetrics().elidedText(self.currentMessage(),
                                             Qt.TextElideMode.ElideMiddle,
                                             self.message_rect().width())

    def paintEvent(self, event) -> None:
        if not self.currentMessage():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter,
                                   self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.message_rect(), Qt.AlignmentFlag.AlignLeading
                         | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine,
                         self.shown_message())
