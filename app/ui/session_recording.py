"""Saving the session as it happens: SessionModel changes -> SessionRecorder -> SessionStore.

The recording subscribes to the model like any view: each newly analysed frame is buffered by
the core `SessionRecorder` (written in the background, at least once a second), each note
change is committed at once. The model numbers notes itself; the store gives them database ids;
the mapping between the two lives here, so neither knows the other. Store failures (disk full,
database locked) become one-line `sigError` messages; nothing is dropped by the recorder.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, Signal

from app.core.errors import CoreError
from app.core.session.notes import Note
from app.core.session.recorder import SessionRecorder
from app.core.session.store import SessionMeta, SessionStore, SessionStoreDamaged

from .session_model import SessionModel


class SessionRecording(QObject):
    sigError = Signal(str)
    sigDamaged = Signal(str)  # the database file is damaged: the controller starts a fresh one

    def __init__(self, store: SessionStore, session_id: int, model: SessionModel,
                 parent: QObject | None = None, *, started_at: str = "",
                 notes_stored: bool = True):
        super().__init__(parent)
        self.store, self.session_id, self.model = store, session_id, model
        self.started_at = started_at
        self.recorder = SessionRecorder(store, session_id)
        # Notes already in the model (a reopened session) carry their database ids.
        if notes_stored:
            self.recorder.know_notes({n.id: n.id for n in model.notes})
        self._connections = [
            (model.sigResultAdded, self._on_result), (model.sigResultReplaced, self._on_redone),
            (model.sigNoteAdded, self._on_note_added),
            (model.sigNoteUpdated, self._on_note_updated),
            (model.sigNoteRemoved, self._on_note_removed),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)

    @classmethod
    def start_new(cls, store: SessionStore, model: SessionModel, analyzer, *, patient_code: str,
                  source: str, clinician: str = "", title: str = "",
                  parent: QObject | None = None) -> SessionRecording:
        """Create a session in the store for what `model` is about to show."""
        meta = SessionMeta.from_analyzer(analyzer, patient_code=patient_code, source=source,
                                         clinician=clinician, title=title)
        return cls(store, store.create_session(meta), model, parent, started_at=meta.started_at,
                   notes_stored=False)

    def rename(self, patient_code: str) -> None:
        self.store.rename_session(self.session_id, patient_code)

    def flush(self) -> None:
        """Write buffered frames now (before an export reads the store)."""
        self._guard(self.recorder.flush)

    def close(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self._guard(self.recorder.close)

    # -- model -> store ---------------------------------------------------------------------
    def _on_result(self, result) -> None:
        self._guard(self.recorder.add, result)

    def _on_redone(self, result) -> None:
        self._guard(self.recorder.add, result, True)

    # Notes never wait for the database: one it cannot take now is kept and retried
    # (issue 13.3). The model's note id is the key; the recorder maps it to the database id.
    def _on_note_added(self, note: Note) -> None:
        self._note_saved_later(self.recorder.keep_note(note.id, _stored(note)))

    def _on_note_updated(self, note: Note) -> None:
        self._note_saved_later(self.recorder.keep_note(note.id, _stored(note)))

    def _on_note_removed(self, note: Note) -> None:
        self._note_saved_later(self.recorder.forget_note(note.id))

    def _note_saved_later(self, why: CoreError | None) -> None:
        if isinstance(why, SessionStoreDamaged):
            self.sigDamaged.emit(str(why))
        elif why is not None:
            self.sigError.emit(f"Note kept, saved as soon as the database allows ({why})")

    def keep_notes(self) -> None:
        """Save every note of the model (a session continued in a fresh database)."""
        for note in self.model.notes:
            self._note_saved_later(self.recorder.keep_note(note.id, _stored(note)))

    def _guard(self, fn, *args):
        try:
            return fn(*args)
        except SessionStoreDamaged as exc:
            self.sigDamaged.emit(str(exc))
        except CoreError as exc:
            self.sigError.emit(f"Not saved: {exc}")
        return None


def _stored(note: Note) -> Note:
    return dataclasses.replace(note, id=None)  # the store gives its own id
