"""Keeping sessions: one per opened source, recorded to the SessionStore; exports; reopening.

The window decides *when* a session starts (a source opened) and *what* to show; this object
owns the store side: the live `SessionRecording`, the patient code, exports and loading stored
sessions, all store reads and file writes off the GUI thread. Without a store (it could not be
opened) the app still runs and says, once, that nothing is saved. A new live session whose
details say the patient consented also records its video (`video_recorder`, session/video.py;
the window hands it to the worker, which offers it every analysed live frame).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.errors import CoreError
from app.core.session.outages import outage_events
from app.core.session.store import LoadedSession, SessionStore
from app.core.session.types import Event
from app.core.session.video import VideoRecorder

from .background import run_in_background
from .exporting import default_name, export_csv, export_pdf
from .readers import SourceInfo
from .session_details import SessionDetails
from .session_model import SessionModel
from .session_recording import SessionRecording
from .timeline_buffer import TimelineBuffer


@dataclass(frozen=True)
class Reopened:
    """A stored session read back, with its timeline already built (both off the GUI thread)."""

    loaded: LoadedSession
    buffer: TimelineBuffer
    video: Path | None = None  # the folder of its recorded live video, if one is kept

    @classmethod
    def read(cls, store: SessionStore, session_id: int) -> Reopened:
        loaded = store.load_session(session_id)
        video = store.video_dir(session_id) if store.has_video(session_id) else None
        return cls(loaded, TimelineBuffer.from_results(loaded.frames, len(loaded.meta.classes)),
                   video)


def describe_source(info: SourceInfo) -> str:
    """What the store keeps as the session's source: a recording's full path (to reopen it),
    else the name (camera N, or a stream URL without its password)."""
    return str(info.path.resolve()) if info.kind == "file" and info.path else info.name


class SessionController(QObject):
    sigMessage = Signal(str)  # for the status bar
    sigError = Signal(str)  # recording trouble: the status bar says it
    sigFailed = Signal(str)  # an export or load that failed: worth a message box
    sigLoaded = Signal(object)  # Reopened
    sigExported = Signal(list)  # paths written
    sigRestarted = Signal()  # saving again, in a fresh database (the old one was damaged)
    sigBackedUp = Signal(object)  # path of a backup of all sessions

    def __init__(self, store: SessionStore | None, model: SessionModel, analyzer,
                 details: SessionDetails | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.store, self.model, self.analyzer = store, model, analyzer
        self.details = details or SessionDetails()
        self.recording: SessionRecording | None = None
        self.video_recorder: VideoRecorder | None = None  # the live video, by consent
        self._source = ""  # what the store calls the source of the session shown
        self._outages_kept = (0, 0)  # outages of this session whose loss / return are saved

    @property
    def patient_code(self) -> str:
        return self.details.patient_code

    @property
    def session_id(self) -> int | None:
        return self.recording.session_id if self.recording else None

    def begin(self, info: SourceInfo, loaded: LoadedSession | None = None,
              record: bool = True) -> None:
        """Record what the model now shows: a new session (with `self.details`), or `loaded`
        continued; `record=False` (the demo clip before a session is started): nothing."""
        self.end()
        self._outages_kept = (0, 0)
        if self.store is None or not record:
            return
        try:
            if loaded is not None:
                self.recording = SessionRecording(self.store, loaded.id, self.model, self,
                                                  started_at=loaded.meta.started_at)
                m = loaded.meta
                self.details = SessionDetails(m.patient_code, m.clinician, m.title)
            else:
                d = self.details
                self.recording = SessionRecording.start_new(
                    self.store, self.model, self.analyzer, patient_code=d.patient_code,
                    clinician=d.clinician, title=d.title, source=describe_source(info),
                    parent=self)
            self._source = loaded.meta.source if loaded is not None else describe_source(info)
        except CoreError as exc:
            self.sigError.emit(f"This session is not saved: {exc}")
            return
        self._connect(self.recording)
        if loaded is None and info.live and self.details.record_video:
            self._record_video(info)

    def _record_video(self, info: SourceInfo) -> None:
        try:
            folder = self.store.video_dir(self.recording.session_id)
            fps = info.fps if info.fps and 1 <= info.fps <= 60 else 30.0  # nominal: times
            self.video_recorder = VideoRecorder(folder, fps=fps)  # are kept in its index
            self.sigMessage.emit("Recording this session's video (the patient consented)")
        except (CoreError, OSError) as exc:
            self.sigError.emit(f"The video is not recorded: {exc}")

    def _carry_video(self) -> str:
        """After a fresh start the session has a new id: its video so far moves to the new
        session's folder and goes on there (VideoRecorder continues a folder), so replay finds
        it. Returns a sentence for the dialog ("" without a video)."""
        if self.video_recorder is None:
            return ""
        old, self.video_recorder = self.video_recorder, None
        old.close()  # frames offered meanwhile are not written: the window switches the sink
        try:
            folder = self.store.video_dir(self.recording.session_id)
            os.replace(old.folder, folder)
            self.video_recorder = VideoRecorder(folder, fps=old.fps)
        except (CoreError, OSError) as exc:
            self.sigError.emit(f"The video is not recorded from here on: {exc}")
            return (f" Its video so far is kept in {old.folder}; it is not recorded from here "
                    "on.")
        return " Its recorded video moved with it and goes on."

    def _connect(self, recording: SessionRecording) -> None:
        recording.sigError.connect(self.sigError)
        recording.sigDamaged.connect(self._start_fresh)

    def _start_fresh(self, why: str) -> None:
        """The database file is damaged: set it aside, start a new one and go on saving this
        session there (its notes, and the frames from now on), saying so in a dialog."""
        if self.recording is None or self.store is None:
            return
        old, self.recording = self.recording, None
        old.sigDamaged.disconnect(self._start_fresh)
        try:
            old.close()
        except CoreError:
            pass  # what it still held belonged to the damaged file
        old.deleteLater()
        try:
            kept = self.store.start_fresh()
            d = self.details
            self.recording = SessionRecording.start_new(
                self.store, self.model, self.analyzer, patient_code=d.patient_code,
                clinician=d.clinician, title=d.title, source=self._source, parent=self)
        except CoreError as exc:
            self.sigError.emit(f"Not saved: {exc}")
            self.sigFailed.emit(f"The session database is damaged ({why}) and no new one could "
                                f"be started: {exc}. Nothing more is saved in this run.")
            return
        self._connect(self.recording)
        self.recording.keep_notes()
        video = self._carry_video()
        self.sigRestarted.emit()
        self.sigFailed.emit(
            f"The session database was damaged ({why}).\n\nIt is kept unchanged as {kept} "
            "(a backup or SQLite's recovery tools may still read it). A new database was "
            "started: this session goes on being saved there with all its notes and the "
            f"frames from now on.{video}")

    def end(self) -> None:
        if self.video_recorder is not None:
            rec, self.video_recorder = self.video_recorder, None
            rec.close()
            if rec.error or rec.dropped:
                self.sigMessage.emit(f"Video: {rec.written} frames kept, {rec.dropped} dropped"
                                     + (f"; {rec.error}" if rec.error else ""))
        if self.recording is not None:
            self.recording.close()
            self.recording.deleteLater()
            self.recording = None

    def patient_switched(self, index: int, time_s: float, track_id: int,
                         reanalysed: bool) -> None:
        """The patient became face `track_id` at frame `index` (an event kept with the session;
        frames analysed again replace their stored results one by one, as they come)."""
        event = Event(time_s, "patient", f"face {track_id}")
        self.model.add_event(event)
        if self.recording is None:
            return
        try:
            self.store.add_event(self.recording.session_id, time_s, event.kind, event.detail)
        except CoreError as exc:
            self.sigError.emit(f"Patient switch not saved: {exc}")

    def pick_undone(self, undone) -> None:
        """A patient pick was undone (worker.UndonePick): its switch goes, and the frames it
        had changed take back their results."""
        event = Event(undone.time_s, "patient", f"face {undone.track_id}")
        for result in undone.restored:
            self.model.add_result(result)  # replaces: the timeline and the store follow
        self.model.remove_event(event)
        if self.recording is None:
            return
        try:
            self.store.remove_event(self.recording.session_id, event.time_s, event.kind,
                                    event.detail)
        except CoreError as exc:
            self.sigError.emit(f"Undoing the patient switch not saved: {exc}")

    def record_outages(self, outages, reason: str = "") -> None:
        """Keep the live feed's outages (all so far, the last maybe still on) as session
        events: a loss the moment it is known, its return once frames are back."""
        lost, back = self._outages_kept
        new: list[Event] = []
        for i, outage in enumerate(outages):
            events = outage_events(outage, reason)
            if i >= lost:
                new.append(events[0])
                lost = i + 1
            if i >= back and len(events) > 1:
                new.append(events[1])
                back = i + 1
        self._outages_kept = (lost, back)
        for event in new:
            self.model.add_event(event)
            if self.recording is not None:
                try:
                    self.store.add_event(self.recording.session_id, event.time_s, event.kind,
                                         event.detail)
                except CoreError as exc:
                    self.sigError.emit(f"Signal loss not saved: {exc}")

    def set_baseline(self, baseline) -> None:
        """Keep the patient's baseline (or None: remove it) with the session being recorded."""
        self.model.set_baseline(baseline)
        if self.recording is not None:
            try:
                self.store.set_baseline(self.recording.session_id, baseline)
            except CoreError as exc:
                self.sigError.emit(f"Baseline not saved: {exc}")

    def set_patient_code(self, code: str) -> None:
        self.details = replace(self.details, patient_code=code)
        if self.recording is not None:
            try:
                self.recording.rename(code)
            except CoreError as exc:
                self.sigError.emit(str(exc))

    # -- exports and reopening (off the GUI thread) ------------------------------------------
    def default_export_name(self, suffix: str) -> str:
        started = self.recording.started_at if self.recording else ""
        return default_name(self.patient_code, started or _now(), suffix)

    def can_export(self) -> bool:
        if self.recording is None:
            self.sigFailed.emit("Nothing to export: this session is not being saved.")
            return False
        return True

    def export(self, kind: str, path: Path) -> None:
        """Write the CSVs (`kind="csv"`, `path` = frames CSV) or the PDF report."""
        if not self.can_export():
            return
        self.recording.flush()
        store, sid = self.store, self.recording.session_id
        model_path = getattr(self.analyzer.classifier, "path", None)
        threshold = self.model.threshold
        job = (lambda: export_csv(store, sid, path, threshold)) if kind == "csv" else \
            (lambda: export_pdf(store, sid, path, model_path, threshold))
        self.sigMessage.emit(f"Exporting {path.name}…")
        run_in_background(job, self._exported, self.sigFailed.emit, name="fer-export")

    def _exported(self, paths: list[Path]) -> None:
        self.sigMessage.emit("Exported " + ", ".join(str(p) for p in paths))
        self.sigExported.emit(paths)

    def load(self, session_id: int) -> None:
        """Read a stored session; `sigLoaded` delivers it."""
        if self.store is None:
            return
        if self.recording is not None:
            self.recording.flush()
        store = self.store
        run_in_background(lambda: Reopened.read(store, session_id), self.sigLoaded.emit,
                          self.sigFailed.emit, name="fer-load-session")


def _now() -> str:
    from datetime import datetime

    return datetime.now().astimezone().isoformat(timespec="seconds")
