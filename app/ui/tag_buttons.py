"""The perceived-emotion tag of a note as a row of buttons that show their keys.

Where the clinician types, the tags and their keys are in view: `1 happy`, `2 sad`, ... Each
button's tooltip says both ways to tag from the keyboard (Alt+digit while typing, the digit once
the note is saved with Enter); digits typed in the note itself stay text. A click on the lit
button removes the tag. The buttons never take the keyboard focus from the note.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.core.session.notes import PERCEIVED_CHOICES


def tag_tip(key: int, choice: str) -> str:
    return (f"Tag the note: you perceived {choice}.\nWhile typing the note: Alt+{key}. "
            f"Once it is saved (Enter): {key}.\nDigits typed in the note stay text; "
            "0 (or Alt+0) removes the tag.")


class TagButtons(QWidget):
    sigChosen = Signal(object)  # the tag picked with the mouse (None: removed)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        for key, choice in enumerate(PERCEIVED_CHOICES, 1):
            button = QPushButton(f"{key} {choice}")
            button.setObjectName("tag")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(tag_tip(key, choice))
            button.clicked.connect(lambda on, c=choice: self._clicked(c, on))
            layout.addWidget(button)
            self.buttons[choice] = button
        self._value: str | None = None

    def value(self) -> str | None:
        return self._value

    def set_value(self, choice: str | None) -> None:
        self._value = choice if choice in self.buttons else None
        for name, button in self.buttons.items():
            button.setChecked(name == self._value)

    def _clicked(self, choice: str, on: bool) -> None:
        self.set_value(choice if on else None)
        self.sigChosen.emit(self._value)
