"""The note text editor: several lines, yet as quick as a one-line field.

Enter saves the note and gives the keys back to playback; Shift+Enter starts a new line; Esc
saves too. Alt+1…5 tag the perceived emotion while typing (plain 1…5 do it once the note is
saved; the window's shortcuts, see menus.py); digits typed here are text, always. The empty
editor says so. It shows about three lines and scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

PLACEHOLDER = ("What did you observe?  Enter saves · Shift+Enter new line\n"
               "Tag what you perceived: Alt+1…5 while typing, 1…5 after Enter "
               "(digits you type stay text)")


class NoteEditor(QPlainTextEdit):
    sigSubmit = Signal()  # Enter or Esc: save and leave
    sigEdited = Signal()  # the user changed the text
    sigFocusLost = Signal()  # save what was typed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setPlaceholderText(PLACEHOLDER)
        lines = QFontMetrics(self.font()).lineSpacing()
        self.setFixedHeight(int(3.4 * lines) + 12)
        self._setting = False
        self.textChanged.connect(self._changed)

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:
        self._setting = True
        try:
            self.setPlainText(text)
        finally:
            self._setting = False

    def _changed(self) -> None:
        if not self._setting:
            self.sigEdited.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.sigSubmit.emit()
            return
        if enter:  # Shift+Enter: a new line, not a paragraph separator
            self.insertPlainText("\n")
            return
        if event.key() == Qt.Key.Key_Escape:
            self.sigSubmit.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.sigFocusLost.emit()
