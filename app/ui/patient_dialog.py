"""Asking for the patient code: a code such as P-017, never the patient's name."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from app.core.session.store import SessionStoreError, check_patient_code

PROMPT = ("Patient code for this session (e.g. P-017), never the name.\n"
          "Leave empty to record without a code; you can set it later (File > Patient code…).")


def ask_patient_code(parent: QWidget | None, current: str = "") -> str | None:
    """The code entered ('' = none), or None if cancelled; asks again while it is invalid."""
    text = current
    while True:
        text, ok = QInputDialog.getText(parent, "Patient code", PROMPT,
                                        QLineEdit.EchoMode.Normal, text)
        if not ok:
            return None
        try:
            return check_patient_code(text)
        except SessionStoreError as exc:
            QMessageBox.warning(parent, "Patient code", str(exc))
