"""Clinician notes beside the video: a list, and an editor for the selected note.

A new note (button, Ctrl+N or N) is stamped with the video time at the moment of the key press,
which is what the clinician reacted to, then the text field takes the focus; Enter saves,
Shift+Enter starts a new line. The perceived emotion is a tag chosen from PERCEIVED_CHOICES,
with keys as BORIS codes events: Alt+1…5 while typing (digits typed in the note stay text, so a
fast typist never tags by accident), plain 1…5 once the note is saved; the tag buttons under the
note show the keys. Notes are listed in time order
and numbered in the order they were made, so a number never changes when a note is added
before it. Each row shows what the clinician
perceived next to what the model detected at that time, the contrast this app exists for.
Clicking a note jumps the video there.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.report.note_labels import NoteLabel
from app.core.session.notes import Note

from .note_editor import NoteEditor
from .session_model import SessionModel
from .tag_buttons import TagButtons
from .timefmt import format_time

_ID = Qt.ItemDataRole.UserRole


class NotesPanel(QWidget):
    sigNewNoteRequested = Signal()
    sigSeekRequested = Signal(float)

    def __init__(self, model: SessionModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.confirm_delete: Callable[[Note], bool] = self._ask_delete  # tests replace it
        self._editing: int | None = None  # id of the note in the editor
        self._dirty = False  # the text field holds typing not saved yet

        title = QLabel("Clinician notes")
        title.setObjectName("panelTitle")
        self.new_button = QPushButton("New note  (Ctrl+N)")
        self.new_button.setObjectName("primary")
        self.new_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.new_button.clicked.connect(self.sigNewNoteRequested)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(self._load_selected)
        self.list.itemClicked.connect(self._seek_to_item)

        self.when = QLabel("Select a note, or press Ctrl+N")
        self.when.setObjectName("muted")
        self.text = NoteEditor()
        self.text.sigEdited.connect(self._mark_dirty)
        self.text.sigSubmit.connect(self._save_and_leave)  # Enter/Esc: back to the video keys
        self.text.sigFocusLost.connect(self._save)
        self.perceived = TagButtons()  # what the clinician perceived, with its keys
        self.perceived.sigChosen.connect(self._save)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.delete_button.clicked.connect(self.delete_selected)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.new_button)
        row = QHBoxLayout()
        row.addWidget(self.perceived, 1)
        row.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.when)
        layout.addWidget(self.text)
        layout.addLayout(row)

        model.sigNotesChanged.connect(self._rebuild)
        self._labels_version = -1
        self._timer = QTimer(self)  # model labels appear as analysis reaches a note's time
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._refresh_labels)
        self._timer.start()
        self._set_editor(None)

    # -- public -----------------------------------------------------------------------------
    def begin_note(self, time_s: float) -> Note:
        """Drop a note at `time_s`, select it and put the cursor in its text field."""
        self._save()
        note = self.model.add_note(time_s)
        self._select(note.id)
        self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return note

    def tag_selected(self, perceived: str | None) -> bool:
        """Tag the note in the editor (the one being written, or just written) with the
        emotion the clinician perceived; False if no note is selected."""
        if self._editing is None:
            return False
        self.perceived.set_value(perceived)
        self._save()
        return True

    def delete_selected(self) -> None:
        note = self.model.note(self._editing) if self._editing is not None else None
        if note is not None and self.confirm_delete(note):
            self.model.remove_note(note.id)

    def save_editor(self) -> None:
        """Save what is typed in the editor (Enter and focus loss also do)."""
        self._save()

    def count(self) -> int:
        return self.list.count()

    # -- list -------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        keep = self._editing if self.model.note(self._editing) is not None else None
        self.list.blockSignals(True)  # a rebuild is not the user picking another note
        self.list.clear()
        current = -1
        labels, numbers = self.model.note_labels(), self.model.note_numbers()
        for row, note in enumerate(self.model.notes):
            item = QListWidgetItem(self._row_text(numbers[row], note, labels[row]))
            item.setData(_ID, note.id)
            item.setToolTip(note.text or "(no text)")
            self.list.addItem(item)
            current = row if note.id == keep else current
        self.list.setCurrentRow(current)
        self.list.blockSignals(False)
        if keep is None or not self._dirty:  # never overwrite what is being typed
            self._set_editor(self.model.note(keep) if keep is not None else None)
        self._labels_version = self.model.buffer.version

    def _row_text(self, number: int, note: Note, label: NoteLabel) -> str:
        seen = label.text
        head = f"{number}.  {format_time(note.time_s, tenths=True)}"
        tags = f"perceived: {note.perceived or '—'}   ·   model: {seen}"
        return f"{head}   {tags}\n{note.text or '(no text yet)'}"

    def _refresh_labels(self) -> None:
        if self.model.buffer.version != self._labels_version and self.list.count():
            labels, numbers = self.model.note_labels(), self.model.note_numbers()
            for row, note in enumerate(self.model.notes):
                self.list.item(row).setText(self._row_text(numbers[row], note, labels[row]))
            self._labels_version = self.model.buffer.version

    def _select(self, note_id: int | None) -> None:
        rows = [r for r in range(self.list.count()) if self.list.item(r).data(_ID) == note_id]
        self.list.setCurrentRow(rows[0] if rows else -1)

    def _load_selected(self, item: QListWidgetItem | None, previous=None) -> None:
        # Edits were saved when the text field lost focus to the list (editingFinished).
        note_id = item.data(_ID) if item is not None else None
        self._set_editor(self.model.note(note_id) if note_id is not None else None)

    def _seek_to_item(self, item: QListWidgetItem) -> None:
        note = self.model.note(item.data(_ID))
        if note is not None:
            self.sigSeekRequested.emit(note.time_s)

    # -- editor -----------------------------------------------------------------------------
    def _set_editor(self, note: Note | None) -> None:
        # The note being typed stays as typed (the cursor never jumps when it is tagged)
        typed = note is not None and note.id == self._editing \
            and self.text.text().strip() == note.text
        self._editing, self._dirty = (note.id if note else None), False
        for w in (self.text, self.perceived, self.delete_button):
            w.setEnabled(note is not None)
        if not typed:
            self.text.setText(note.text if note else "")
        self.perceived.set_value(note.perceived if note else None)
        self.when.setText(f"Note at {format_time(note.time_s, tenths=True)}" if note
                          else "Select a note, or press Ctrl+N to add one")

    def _save(self, *_) -> None:
        if self._editing is None:
            return
        changes = {"perceived": self.perceived.value()}
        if self._dirty:
            changes["text"] = self.text.text().strip()
        self._dirty = False
        self.model.update_note(self._editing, **changes)

    def _mark_dirty(self, *_) -> None:
        self._dirty = True

    def _save_and_leave(self) -> None:
        self._save()
        self.window().setFocus(Qt.FocusReason.OtherFocusReason)  # keys go back to playback

    def _ask_delete(self, note: Note) -> bool:
        answer = QMessageBox.question(
            self, "Delete note",
            f"Delete the note at {format_time(note.time_s)}?\n\n{note.text or '(no text)'}")
        return answer == QMessageBox.StandardButton.Yes
