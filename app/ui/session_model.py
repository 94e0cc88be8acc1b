"""The session as the views see it: source, analysed frames, playhead and clinician notes.

napari style: one QObject owns the state and announces every change with a signal; the video,
timeline, notes list and status bar take the model in their constructor and subscribe. A
session recorder (app/core/session/recorder.py) subscribes the same way: `sigResultAdded`
carries each newly analysed FrameResult, the note signals each note change.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.core.analysis.baseline import Baseline
from app.core.analysis.live_feed import Outage
from app.core.analysis.results import FrameResult
from app.core.analysis.uncertainty import OFF, Threshold
from app.core.report.note_labels import NoteLabel, labels_for
from app.core.session.notes import Note, note_numbers
from app.core.session.outages import outages_from_events
from app.core.session.types import Event

from .readers import SourceInfo
from .timeline_buffer import TimelineBuffer


class SessionModel(QObject):
    sigReset = Signal()  # a new source (and maybe new classes): views start over
    sigResultAdded = Signal(object)  # FrameResult analysed for the first time
    sigResultReplaced = Signal(object)  # FrameResult taking a stored one's place (a re-analysis)
    sigPositionChanged = Signal(float)  # playhead, seconds from the start of the source
    sigNoteAdded = Signal(object)  # Note
    sigNoteUpdated = Signal(object)  # Note (same id, new text/perceived)
    sigNoteRemoved = Signal(object)  # Note
    sigNotesChanged = Signal()  # after any of the three above: lists and markers redraw
    sigBaselineChanged = Signal()  # the patient's resting-face baseline was set or removed
    sigEventsChanged = Signal()  # e.g. the patient became another face at some time

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.classes: tuple[str, ...] = ()
        self.info: SourceInfo | None = None
        self.provider = ""
        self.model_description = ""  # the model that ran: file, version, int8 or not
        self.buffer = TimelineBuffer(0)
        self.position = 0.0
        self.threshold: Threshold = OFF  # the model's uncertainty threshold (set by the window)
        self.baseline: Baseline | None = None  # when set, labels use corrected probabilities
        self.events: list[Event] = []  # patient switches, signal lost/back, in time order
        self._notes: list[Note] = []
        self._next_note_id = 1

    # -- source and results -------------------------------------------------------------
    def reset(self, info: SourceInfo, classes: tuple[str, ...], provider: str = "",
              model_description: str = "") -> None:
        """Start a new session on `info`: results, playhead and notes are cleared."""
        self.info, self.classes, self.provider = info, tuple(classes), provider
        self.model_description = model_description
        capacity = info.frame_count + 1 if info.frame_count else 4096
        self.buffer = TimelineBuffer(len(self.classes), info.fps, capacity)
        self.position = 0.0
        self._notes.clear()
        self.baseline = None
        self.events = []
        self.sigReset.emit()
        self.sigEventsChanged.emit()
        self.sigNotesChanged.emit()

    def add_result(self, result: FrameResult) -> None:
        """A newly analysed frame; one analysed before is replaced (`sigResultReplaced`)."""
        again = self.buffer.has(result.index)
        self.buffer.add(result.index, result.time_s, result.probs, result.turned_away)
        (self.sigResultReplaced if again else self.sigResultAdded).emit(result)

    def adopt_buffer(self, buffer: TimelineBuffer) -> None:
        """Frames of a reopened session, prepared off the GUI thread: shown on the timeline,
        not announced through sigResultAdded (they are saved already)."""
        self.buffer = buffer

    def set_position(self, time_s: float) -> None:
        if time_s != self.position:
            self.position = time_s
            self.sigPositionChanged.emit(time_s)

    def add_event(self, event: Event) -> None:
        self.events = sorted([*self.events, event], key=lambda e: e.time_s)
        self.sigEventsChanged.emit()

    def load_events(self, events: list[Event]) -> None:
        self.events = sorted(events, key=lambda e: e.time_s)
        self.sigEventsChanged.emit()

    def remove_event(self, event: Event) -> None:
        """Forget an event (an undone patient pick)."""
        if event in self.events:
            events = list(self.events)
            events.remove(event)  # the first equal one
            self.events = events
            self.sigEventsChanged.emit()

    def outages(self) -> list[Outage]:
        """Stretches without signal (live sources), the last one open while it lasts."""
        return outages_from_events(self.events)

    def set_baseline(self, baseline: Baseline | None) -> None:
        self.baseline = baseline
        self.sigBaselineChanged.emit()
        self.sigNotesChanged.emit()  # the notes' model labels follow

    def duration(self) -> float:
        """Known length of the source, or how far the session got (live)."""
        known = self.info.duration_s if self.info else None
        return max(known or 0.0, self.buffer.last_time(), self.position)

    def note_labels(self, notes: list[Note] | None = None) -> list[NoteLabel]:
        """The model's label of each note (default: all, in time order), by the one definition
        the exports and the report use (app/core/report/note_labels.py)."""
        notes = self.notes if notes is None else notes
        if not notes:
            return []
        times, raw = self.buffer.analysed_arrays()
        probs = raw if self.baseline is None else self.baseline.correct(raw)
        top = np.max(raw, axis=1)  # the model's own confidence decides "uncertain"
        return labels_for(times, probs, [n.time_s for n in notes], self.classes, top=top,
                          uncertain_below=self.threshold.value, outages=self.outages(),
                          turned=self.buffer.analysed_turned())

    # -- notes ----------------------------------------------------------------------------
    @property
    def notes(self) -> list[Note]:
        """Notes ordered by time (a copy)."""
        return list(self._notes)

    def note_numbers(self) -> list[int]:
        """The number of each note (time order, as `notes`): the order notes were made, so a
        note keeps its number when an earlier-timed one is added later."""
        return note_numbers(self._notes)

    def note(self, note_id: int) -> Note | None:
        return next((n for n in self._notes if n.id == note_id), None)

    def add_note(self, time_s: float, text: str = "", perceived: str | None = None) -> Note:
        note = Note(time_s=max(0.0, time_s), text=text, perceived=perceived or None,
                    id=self._next_note_id)
        self._next_note_id += 1
        self._notes.append(note)
        self._notes.sort(key=lambda n: (n.time_s, n.id))
        self.sigNoteAdded.emit(note)
        self.sigNotesChanged.emit()
        return note

    def update_note(self, note_id: int, **changes) -> Note | None:
        """Change `text` and/or `perceived` of a note; None if it no longer exists."""
        old = self.note(note_id)
        if old is None:
            return None
        if "perceived" in changes:
            changes["perceived"] = changes["perceived"] or None
        new = dataclasses.replace(old, **changes)
        if new == old:
            return old
        self._notes[self._notes.index(old)] = new
        self.sigNoteUpdated.emit(new)
        self.sigNotesChanged.emit()
        return new

    def remove_note(self, note_id: int) -> None:
        old = self.note(note_id)
        if old is not None:
            self._notes.remove(old)
            self.sigNoteRemoved.emit(old)
            self.sigNotesChanged.emit()

    def load_notes(self, notes: list[Note]) -> None:
        """Replace all notes (a reopened session); no per-note signals, nothing to save."""
        self._notes = sorted(notes, key=lambda n: (n.time_s, n.id or 0))
        self._next_note_id = max((n.id or 0 for n in notes), default=0) + 1
        self.sigNotesChanged.emit()
