"""The main window: video left, notes right, timeline below, status bar at the bottom.

It wires views to the SessionModel and to the AnalysisWorker, owns the worker's lifetime, and
tells the SessionController when a session starts. Opening another source (or reopening a
stored session) starts a second worker that opens it off the GUI thread; only once it has
opened does the window stop the old worker and switch, so a bad URL leaves the running session
untouched. Frames from any worker but the current one are ignored.
"""

from __future__ import annotations

import gc
import time
from dataclasses import replace
from pathlib import Path

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.core.analysis.analyzer import Analyzer
from app.core.analysis.live_feed import FeedState
from app.core.analysis.sources import source_label
from app.core.analysis.uncertainty import Threshold
from app.core.session.store import SessionMeta, SessionStore

from . import settings, window_state
from .archive_actions import ArchiveActions
from .baseline_dialog import REMOVE, ask_baseline
from .compat import guard_singleton_refcounts
from .finished_bar import FinishedBar
from .frame_packet import FramePacket
from .help_dialog import HelpDialog
from .layout import main_layout
from .menus import build_menus
from .model_dialog import ModelDialog
from .notes_panel import NotesPanel
from .readers import RecordedVideoSpec, SourceInfo
from .report_settings import model_threshold
from .session_controller import Reopened, SessionController
from .session_details import (
    SessionDetails,
    ask_session_details,
    could_be_live,
    remember_consent_choice,
    reopenable,
)
from .session_model import SessionModel
from .source_dialog import SourceDialog
from .status_bar import ElidingStatusBar
from .status_panel import StatusPanel
from .timefmt import format_time
from .timeline import TimelineView
from .transport import TransportBar
from .video_view import VideoView
from .wording import count
from .worker import AnalysisWorker, start_in_thread, stop_thread


class MainWindow(ArchiveActions, QMainWindow):
    def __init__(self, analyzer: Analyzer, source, *, store: SessionStore | None = None,
                 patient_code: str = "", speed: float = 1.0, parent: QObject | None = None,
                 threshold: Threshold | None = None, clinician: str | None = None,
                 title: str = "", demo: bool = False, record_video: bool = False):
        """`source`: a core Source or a spec; `store`: where sessions are saved (None: not);
        `threshold`: below it a frame is uncertain (default: from the model's calibration);
        `demo`: the bundled clip plays as a demo, recorded only once a session is started;
        `record_video`: keep a live source's video with the first session (consent given)."""
        guard_singleton_refcounts()  # before the first signal of the session (see compat.py)
        super().__init__(parent)
        self.analyzer, self.speed = analyzer, speed
        self.model = SessionModel(self)
        self.model.threshold = threshold or model_threshold(analyzer)
        if clinician is None:
            clinician = settings.get("clinician", "", str)
        self.sessions = SessionController(
            store, self.model, analyzer,
            SessionDetails(patient_code, clinician, title, record_video), self)
        self.demo = demo  # no session is recorded while the demo clip plays
        self.ask_details = lambda previous, source: ask_session_details(self, previous, source)
        self.ask_baseline = ask_baseline  # tests replace the dialogs
        self.ask_backup_videos = self._ask_backup_videos
        self._spec = reopenable(source)  # what the current worker opened ("New session")
        self._pending_details: SessionDetails | None = None
        self._pending_spec = None
        self.video = VideoView()
        self.video.uncertain_below = self.model.threshold.value
        self.video.classes = analyzer.classes
        self.transport = TransportBar()
        self.notes = NotesPanel(self.model)
        self.timeline = TimelineView(self.model)
        self.worker: AnalysisWorker | None = None
        self.worker_thread: QThread | None = None
        # A worker opening the next source, with the stored session it reopens (or None).
        self._pending: tuple[AnalysisWorker, QThread, Reopened | None] | None = None
        self._retired: list[tuple[AnalysisWorker, QThread]] = []
        self._feed: FeedState | None = None  # the live source's last state (None: not live)

        self.finished = FinishedBar(self.export_pdf, self.export_csv)
        self.setCentralWidget(main_layout(self.video, self.transport, self.notes, self.timeline,
                                          self.finished))
        self.setStatusBar(ElidingStatusBar())  # long messages: shortened in the middle
        self.status = StatusPanel(self.statusBar(), self.model)
        self.statusBar().make_room(self.status.source, self.status.analysed, self.status.faces)
        self.actions_by_text = build_menus(self)
        self.timeline.smooth_box.toggled.connect(self.actions_by_text["Smoothed timeline"]
                                                 .setChecked)

        self.transport.sigTogglePlay.connect(self.toggle_play)
        self.transport.sigSeek.connect(self.seek)
        self.transport.sigSkip.connect(self.skip)
        self.timeline.sigSeekRequested.connect(self.seek)
        self.notes.sigSeekRequested.connect(self.seek)
        self.notes.sigNewNoteRequested.connect(self.new_note)
        self.video.sigFrameClicked.connect(self._select_patient)
        self.sessions.sigMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.sessions.sigError.connect(self._on_store_error)
        self.sessions.sigFailed.connect(
            lambda text: QMessageBox.warning(self, "fer-companion", text))
        self.sessions.sigLoaded.connect(self._reopen)
        self.sessions.sigRestarted.connect(self._restarted)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(1000)
        self._status_timer.timeout.connect(self.status.tick)
        self._status_timer.timeout.connect(self._reap_retired)
        self._status_timer.start()
        # While the signal is lost the session clock runs on: the playhead follows it.
        self._outage_timer = QTimer(self)
        self._outage_timer.setInterval(200)
        self._outage_timer.timeout.connect(self._follow_clock)
        # Python's cycle collector runs in whichever thread allocates when a threshold is hit:
        # a session load or export thread could free GUI objects caught in cycles (pyqtgraph
        # items, dialogs) off their thread, leaving their Qt timers to fire on freed memory
        # (issue 13.2: the segfault on reopening). Collect on the GUI thread only, each second.
        self._gc_was_enabled = gc.isenabled()
        self._gc = GarbageCollector(interval=1.0)
        window_state.restore(self, self.timeline)  # fits the screen, then what was left
        self._start_worker(source, autostart=True)

    # -- actions (menus.py maps keys and menu entries to these) ---------------------------
    def show_help(self) -> HelpDialog:
        dialog = HelpDialog(list(self.actions_by_text.values()), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per F1, gone once closed
        dialog.show()
        return dialog

    def show_model(self) -> ModelDialog:
        dialog = ModelDialog(self.analyzer.classifier, self.model.threshold, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -- commands to the worker ----------------------------------------------------------------
    def toggle_play(self) -> None:
        if self.worker is not None:
            self.worker.toggle_play()

    def seek(self, time_s: float) -> None:
        time_s = max(0.0, min(time_s, self.model.duration()))
        if self.worker is not None and self.model.info and self.model.info.seekable:
            self.worker.seek(time_s)
        elif self.worker is None and self.model.info is not None:
            self.model.set_position(time_s)  # a session without video: move the playhead only

    def skip(self, delta_s: float) -> None:
        self.seek(self.model.position + delta_s)

    def step(self, frames: int) -> None:
        if self.worker is not None:
            self.worker.step(frames)

    def _select_patient(self, x: float, y: float) -> None:
        if self.worker is not None:
            self.worker.select_patient_at(x, y)

    def undo_pick(self) -> None:
        """Ctrl+Z: undo the last face pick (its frames come back, its switch goes)."""
        if self.worker is not None:
            self.worker.undo_pick()
        else:
            self.statusBar().showMessage("No face pick to undo", 4000)

    def new_note(self) -> None:
        self.notes.begin_note(self.note_time())

    def session_now(self) -> float | None:
        """The live session's clock now (it runs through outages); None if not live."""
        feed = self._feed
        if feed is None or feed.origin is None:
            return None
        return max(0.0, time.monotonic() - feed.origin)

    def note_time(self) -> float:
        """When a new note is stamped: the frame on screen, or during an outage the session
        clock (the clinician's remark belongs to now, not to the last frame)."""
        if self._feed is not None and self._feed.lost_since_s is not None:
            now = self.session_now()
            if now is not None:
                return now
        return self.model.position

    def delete_note(self) -> None:
        self.notes.delete_selected()

    def tag_note(self, perceived: str | None) -> None:
        if not self.notes.tag_selected(perceived):
            self.statusBar().showMessage("Select a note (or press N) to tag it", 4000)
        else:
            self.statusBar().showMessage(
                f"Note tagged: perceived {perceived} (0 removes the tag)" if perceived
                else "Note tag removed", 4000)

    def set_smoothed(self, on: bool) -> None:
        self.timeline.set_smoothed(on)

    def set_baseline(self) -> None:
        choice = self.ask_baseline(self, self.model)
        if choice is not None:
            self.sessions.set_baseline(None if choice == REMOVE else choice)
            self.video.baseline = self.model.baseline

    # -- sessions: store side in SessionController, the window decides what to show --------
    @Slot(object)
    def _reopen(self, reopened: Reopened) -> None:
        loaded = reopened.loaded
        path = Path(loaded.meta.source)
        if tuple(loaded.meta.classes) != tuple(self.analyzer.classes):
            why = "it was analysed with a model of other classes"
        elif reopened.video is not None:  # a live session's recorded video: replay it
            spec = RecordedVideoSpec(reopened.video, frozenset(r.index for r in loaded.frames),
                                     f"recorded video of {loaded.meta.source or 'the session'}")
            self._start_worker(spec, autostart=False, reopened=reopened)
            return
        elif not path.is_file():
            why = f"its recording is not at {path}" if path.is_absolute() \
                else "it was a live session"
        else:
            self._start_worker(path, autostart=False, reopened=reopened)
            return
        if self.worker is not None:  # timeline and notes only: no video to replay
            self._retire(self.worker, self.worker_thread)
            self.worker = self.worker_thread = None
        info = SourceInfo(loaded.meta.source or "stored session", "stored", False, False,
                          None, None)
        self._show_session(info, reopened)
        self.video.show_message(f"Session reopened without video: {why}.\n"
                                "Timeline and notes are restored; notes can be edited.")

    def _show_session(self, info: SourceInfo, reopened: Reopened | None = None) -> None:
        self.sessions.end()  # the previous session is flushed before the view changes
        loaded = reopened.loaded if reopened else None
        classes = loaded.meta.classes if loaded else self.analyzer.classes
        meta = loaded.meta if loaded else SessionMeta.from_analyzer(self.analyzer, patient_code="")
        self.model.reset(info, classes, meta.provider, meta.model_description)
        if reopened is not None:
            self.model.adopt_buffer(reopened.buffer)
            self.model.load_notes(loaded.notes)
            self.model.set_baseline(loaded.meta.baseline)
            self.model.load_events(loaded.events)
        self.video.baseline = self.model.baseline
        self.sessions.begin(info, loaded, record=not self.demo or loaded is not None)
        if self.worker is not None:  # the live video, when the patient consented (or None)
            self.worker.video_sink = self.sessions.video_recorder
        if loaded is not None:
            self.demo = False
        self.transport.set_source(info)
        self._set_feed(None)
        self.finished.hide()
        self._update_title()
        self.status.tick()

    def _restarted(self) -> None:
        """Saving goes on in a fresh database (the old one was damaged): a new session id,
        and the video (if recorded) in that session's folder."""
        if self.worker is not None and self.worker.video_sink is not None:
            self.worker.video_sink = self.sessions.video_recorder
        self._update_title()

    def _update_title(self) -> None:
        who = "demo" if self.demo else self.sessions.patient_code or "no patient code"
        self.video.caption = "DEMO CLIP · not recorded · File > New session… to record" \
            if self.demo else ""
        where = self.model.info.name if self.model.info else "—"
        self.setWindowTitle(f"fer-companion — {who} — {where}")
        self.status.set_saving(self.sessions.session_id, self.sessions.patient_code,
                               demo=self.demo, finished=self.finished.isVisibleTo(self))

    @Slot(str)
    def _on_store_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        self.status.set_saving(None, self.sessions.patient_code, error=message)

    # -- sources and workers --------------------------------------------------------------------
    def open_source_dialog(self) -> None:
        current = self.model.info.name if self.model.info else ""
        dialog = SourceDialog(self, current=current)
        accepted = dialog.exec() == SourceDialog.DialogCode.Accepted
        spec = dialog.spec() if accepted else None
        dialog.deleteLater()  # not kept as a hidden child of the window per use
        if spec is not None:
            self.open_source(spec)

    def open_source(self, spec, details: SessionDetails | None = None) -> None:
        """Open `spec` for a new session, asking for its details (patient code pre-filled)
        unless given; the window switches once it has opened. Cancelling changes nothing."""
        if details is None:
            details = self.ask_details(replace(self.sessions.details, title=""), spec)
            if details is None:
                return
        if details.clinician:
            settings.put("clinician", details.clinician)
        if could_be_live(spec):  # a recording asks nothing: the choice stays as it was
            remember_consent_choice(details.clinician, details.record_video)
        held = self._holds(spec)
        if held:
            # A camera, or a stream that serves one client, opens only once: the running
            # session lets go of it first (saved as it stands; if the reopening fails, it
            # stays ended and says why), and the new one retries while the slot frees.
            self.end_session()
        self.statusBar().showMessage(f"Opening {source_label(str(reopenable(spec)))}…")
        self._start_worker(spec, autostart=False, open_retry_s=5.0 if held else 0.0)
        self._pending_details, self._pending_spec = details, reopenable(spec)

    def _holds(self, spec) -> bool:
        """Whether the running worker has `spec` open as a live source."""
        info = self.model.info
        if self.worker is None or info is None or not info.live:
            return False
        spec = reopenable(spec)
        if isinstance(spec, int):
            return info.name == f"camera {spec}"
        return "://" in str(spec) and source_label(str(spec)) == source_label(info.name)

    def new_session(self) -> None:
        """Start a new session on the current source (from its start, for a recording)."""
        if self._spec is not None:
            self.open_source(self._spec)
        else:  # a stream's URL is not kept with its password
            self.statusBar().showMessage("Open the stream again (File > Open source…) to start "
                                         "a new session on it", 8000)

    def end_session(self) -> None:
        """The clinician ends the session (a live one never ends by itself): the source is
        closed, everything saved, and the exports are offered."""
        if self.worker is None:
            return
        self._retire(self.worker, self.worker_thread)
        self.worker = self.worker_thread = None
        self._set_feed(None)
        self.transport.live_label.hide()
        if self.sessions.recording is not None:
            self.sessions.recording.flush()
        self.video.show_message("Session ended · File > New session… starts another")
        self.finished.show_finished(self.sessions.session_id is not None)
        self._update_title()

    def _start_worker(self, source, autostart: bool, reopened: Reopened | None = None,
                      open_retry_s: float = 0.0):
        if self._pending is not None:
            self._retire(*self._pending[:2])
            self._pending = None
        worker = AnalysisWorker(self.analyzer, source, autostart=autostart, speed=self.speed,
                                start_paused=reopened is not None,
                                cached=reopened.loaded.frames if reopened else (),
                                open_retry_s=open_retry_s)
        worker.sigOpened.connect(self._on_opened)
        worker.sigFrame.connect(self._on_frame)
        worker.sigPlaying.connect(self._on_playing)
        worker.sigError.connect(self._on_error)
        worker.sigPatientSelected.connect(self._on_patient_selected)
        worker.sigPatientSwitched.connect(self._on_patient_switched)
        worker.sigPatientKept.connect(self._on_patient_kept)
        worker.sigReanalysisStopped.connect(self._on_reanalysis_stopped)
        worker.sigPickUndone.connect(self._on_pick_undone)
        worker.sigEnded.connect(self._on_ended)
        worker.sigSignal.connect(self._on_signal)
        thread = start_in_thread(worker, self)
        if autostart:
            self.worker, self.worker_thread = worker, thread
            self.video.show_message("Opening source…")
        else:
            self._pending = (worker, thread, reopened)

    def _retire(self, worker: AnalysisWorker, thread: QThread) -> None:
        stop_thread(worker, thread)
        worker.release()  # its result cache goes now (issue 13.4)
        self._retired.append((worker, thread))

    def _reap_retired(self) -> None:
        """Delete stopped workers and threads, a timer tick after they stopped: by then every
        packet they queued has been delivered (`sender()` must never name a freed worker).
        The worker moved itself back to this thread on stopping, so deletion stays on the
        thread each object lives in."""
        keep = []
        for worker, thread in self._retired:
            if thread.isFinished() and worker.thread() is self.thread():
                worker.deleteLater()
                thread.deleteLater()
            else:  # still stopping, or terminated before it could move back: left alone
                keep.append((worker, thread))
        self._retired = keep

    @Slot(object)
    def _on_opened(self, info: SourceInfo) -> None:
        worker, reopened = self.sender(), None
        if self._pending is not None and worker is self._pending[0]:
            if self.worker is not None:
                self._retire(self.worker, self.worker_thread)
            self.worker, self.worker_thread, reopened = self._pending
            self._pending = None
            if reopened is None and self._pending_details is not None:
                self.sessions.details, self.demo = self._pending_details, False
                self._spec = self._pending_spec
            self._pending_details = None
            worker.activate()
        elif worker is not self.worker:
            return
        self._show_session(info, reopened)
        self.statusBar().showMessage(f"Opened {info.name}", 4000)

    @Slot(object)
    def _on_frame(self, packet: FramePacket) -> None:
        if self.sender() is not self.worker:
            return
        if packet.fresh:
            self.model.add_result(packet.result)
        self.model.set_position(packet.time_s)
        self.video.show_packet(packet)
        self.transport.set_position(packet.time_s)
        self.status.frame_shown()
        if (now := self.session_now()) is not None:
            self.status.delay_s = now - packet.time_s  # behind the frame's arrival

    @Slot(object)
    def _on_signal(self, state: FeedState) -> None:
        """A live source's feed state: outages go on the record, the views say so."""
        if self.sender() is not self.worker:
            return
        was_lost = self._feed is not None and self._feed.lost_since_s is not None
        self._set_feed(state)
        self.sessions.record_outages(state.outages, state.reason)
        lost = state.lost_since_s is not None
        if lost and not was_lost:
            self.statusBar().showMessage(self.video.signal_text)
        elif was_lost and not lost and state.outages:
            back = state.outages[-1]
            self.statusBar().showMessage(
                f"Signal back at {format_time(back.end_s, tenths=True)} after "
                f"{back.duration():.1f} s without: the same session goes on", 8000)

    def _set_feed(self, state: FeedState | None) -> None:
        self._feed = state
        lost = state is not None and state.lost_since_s is not None
        if lost:
            tries = f" (attempt {state.attempts})" if state.attempts else ""
            self.video.signal_text = (f"No signal since {format_time(state.lost_since_s)} — "
                                      f"reconnecting…{tries}")
        else:
            self.video.signal_text = ""
        self.video.update()
        self.transport.set_signal(lost)
        self.status.set_signal(state)
        if lost and not self._outage_timer.isActive():
            self._outage_timer.start()
        elif not lost:
            self._outage_timer.stop()

    def _follow_clock(self) -> None:
        """During an outage the playhead and time read-out follow the session clock."""
        now = self.session_now()
        if now is not None and now > self.model.position:
            self.model.set_position(now)
            self.transport.set_position(now)

    @Slot(bool)
    def _on_playing(self, playing: bool) -> None:
        if self.sender() is self.worker:
            self.transport.set_playing(playing)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        worker = self.sender()
        if self._pending is not None and worker is self._pending[0]:
            self._retire(*self._pending[:2])
            self._pending = None
            self.statusBar().clearMessage()
            QMessageBox.warning(self, "Cannot open source", message)
        elif worker is self.worker:
            self.statusBar().showMessage(message, 15000)
            if self.video.packet is None:
                self.video.show_message(message)

    @Slot()
    def _on_ended(self) -> None:
        if self.sender() is not self.worker:
            return
        if self.sessions.recording is not None:
            self.sessions.recording.flush()  # "saved" must be true when it says so
        self.finished.show_finished(self.sessions.session_id is not None)
        self._update_title()
        if self.model.info and self.model.info.seekable:
            self.statusBar().showMessage("End of the recording · Home goes back to the start",
                                         8000)

    @Slot(object)
    def _on_patient_selected(self, track_id) -> None:
        if track_id is None:
            self.statusBar().showMessage("No face there: the patient is unchanged", 5000)

    @Slot(int, float, int, bool)
    def _on_patient_switched(self, index: int, time_s: float, track_id: int,
                             reanalysed: bool) -> None:
        if self.sender() is not self.worker:
            return
        self.sessions.patient_switched(index, time_s, track_id, reanalysed)
        again = " (analysed again as it plays; the earlier results stay until then)" \
            if reanalysed else ""
        self.statusBar().showMessage(
            f"Face {track_id} is the patient from {format_time(time_s, tenths=True)} on{again}"
            " · Ctrl+Z undoes", 10000)

    @Slot(int)
    def _on_patient_kept(self, track_id: int) -> None:
        if self.sender() is self.worker:
            self.statusBar().showMessage(
                f"Face {track_id} is the patient already: nothing changed", 5000)

    @Slot(int, float)
    def _on_reanalysis_stopped(self, index: int, time_s: float) -> None:
        if self.sender() is self.worker:
            self.statusBar().showMessage(
                f"Re-analysis stopped at {format_time(time_s, tenths=True)}: from there on the "
                "earlier results are kept · Ctrl+Z undoes the pick", 10000)

    @Slot(object)
    def _on_pick_undone(self, undone) -> None:
        if self.sender() is not self.worker:
            return
        if undone is None:
            self.statusBar().showMessage("No face pick to undo", 4000)
            return
        self.sessions.pick_undone(undone)
        self.statusBar().showMessage(
            f"Undone: face {undone.track_id} as the patient from "
            f"{format_time(undone.time_s, tenths=True)} ({count(len(undone.restored), 'frame')}"
            " as before)", 8000)

    # -- shutdown -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        window_state.save(self, self.timeline)
        self.notes.save_editor()
        for pair in ((self.worker, self.worker_thread), (self._pending or (None,))[:2]):
            if pair[0] is not None:
                stop_thread(*pair)
        self._pending = None
        self._status_timer.stop()
        self._outage_timer.stop()
        self.sessions.end()  # the last frames and notes reach the store
        # Drop frames still queued for this window now, while this thread holds the GIL: if Qt
        # freed them later, during the window's C++ deletion, it would have to take the GIL
        # while holding its event-queue lock, which another worker emitting a signal may need.
        QCoreApplication.removePostedEvents(self, QEvent.Type.MetaCall)
        self._gc.timer.stop()
        if self._gc_was_enabled:
            gc.enable()
        super().closeEvent(event)
