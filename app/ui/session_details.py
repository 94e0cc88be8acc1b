"""Who and what a new session is about: patient code, clinician, optional title.

Every new session asks (opening another source never silently reuses the previous patient's
code): the patient code is pre-filled with the last one and editable, the clinician's name is
remembered between sessions (settings.py), the title is optional. The PDF report shows them.
Recording the video of a live session is the patient's consent to give: the box is off by
default and remembered per clinician (`remembered_consent_choice`); a recording's own file is
its video already, so the box only matters for a camera or a stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.session.store import SessionStoreError, check_patient_code


@dataclass(frozen=True)
class SessionDetails:
    patient_code: str = ""
    clinician: str = ""
    title: str = ""
    record_video: bool = False  # keep the live video with the session (the patient consented)


RECORD_TEXT = "Record the video with this session (the patient has consented)"


def remembered_consent_choice(clinician: str) -> bool:
    from . import settings

    return bool(settings.get(f"record_video/{clinician.strip() or '-'}", False, bool))


def remember_consent_choice(clinician: str, on: bool) -> None:
    from . import settings

    settings.put(f"record_video/{clinician.strip() or '-'}", bool(on))


def could_be_live(source) -> bool:
    """Whether `source` may be live (a camera index, a stream URL, a core Source of kind
    camera or stream): only then is there a video to record. A file path is a recording."""
    kind = getattr(source, "kind", None)
    if kind is not None:
        return kind in ("camera", "stream")
    return isinstance(source, int) or "://" in str(source)


class SessionDetailsDialog(QDialog):
    def __init__(self, previous: SessionDetails, parent: QWidget | None = None,
                 source: str = "", live: bool = True):
        super().__init__(parent)
        self.setWindowTitle("New session")
        self.code = QLineEdit(previous.patient_code)
        self.code.setPlaceholderText("e.g. P-017 — a code, never the name")
        self.code.selectAll()
        self.clinician = QLineEdit(previous.clinician)
        self.clinician.setPlaceholderText("your name, shown on the report")
        self.title = QLineEdit()
        self.title.setPlaceholderText("optional, e.g. intake interview")
        self.record = QCheckBox(RECORD_TEXT)
        self.record.setToolTip("Live sources (camera, stream) only: the video is kept beside "
                               "the session database, private to you. Off by default.")
        self.record.setChecked(remembered_consent_choice(previous.clinician))
        self.clinician.editingFinished.connect(
            lambda: self.record.setChecked(remembered_consent_choice(self.clinician.text())))
        self.error = QLabel()
        self.error.setStyleSheet("color: #C0392B;")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Patient code", self.code)
        form.addRow("Clinician", self.clinician)
        form.addRow("Title", self.title)
        if live:
            form.addRow("", self.record)
        else:  # a recording already is a video: nothing to record, nothing to consent to
            self.record.setChecked(False)
            self.record.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start session")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if source:
            layout.addWidget(QLabel(f"Source: {source}"))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def details(self) -> SessionDetails:
        return SessionDetails(check_patient_code(self.code.text()),
                              self.clinician.text().strip(), self.title.text().strip(),
                              self.record.isChecked())

    def accept(self) -> None:
        try:
            self.details()
        except SessionStoreError as exc:
            self.error.setText(str(exc))
            self.code.setFocus()
            return
        super().accept()


def ask_session_details(parent: QWidget | None, previous: SessionDetails,
                        source="") -> SessionDetails | None:
    """The details entered for `source` (its name, or the spec to open), or None if
    cancelled. The video-recording consent is asked only for a source that may be live."""
    from .source_dialog import without_password  # a password is never shown

    dialog = SessionDetailsDialog(previous, parent,
                                  without_password(str(getattr(source, "name", source))),
                                  could_be_live(source))
    details = dialog.details() if dialog.exec() == QDialog.DialogCode.Accepted else None
    dialog.deleteLater()  # not kept as a hidden child of the window per use
    return details


def reopenable(source):
    """A spec that opens `source` again (a core Source is closed once read): its file, its
    camera index, or the spec itself."""
    if isinstance(source, (str, int, Path)):
        return source
    path, name = getattr(source, "path", None), getattr(source, "name", "")
    if path is not None:
        return path
    if getattr(source, "kind", "") == "camera" and name.split()[-1:] and \
            name.split()[-1].isdigit():
        return int(name.split()[-1])
    if getattr(source, "kind", "") == "stream" and ":***@" not in name:
        return name  # a URL without a password is its own name
    return None  # a stream's name has no password: it cannot be reopened from it
