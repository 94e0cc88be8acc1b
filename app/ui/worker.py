"""Capture, analysis and playback in a worker thread (BORIS-style QObject moved to a QThread).

The GUI never waits on decoding or inference. It talks to the worker through a lock-protected
command queue (`play`, `pause`, `seek`, `step`, `select_patient_at`, `stop`: plain methods, safe
to call from any thread) and hears back through queued signals carrying immutable packets.
The worker's loop blocks on that queue while paused, so a paused worker costs no CPU.

Caching: every FrameResult is kept by frame index (`ResultCache`). Playing through, seeking back
or stepping into frames already analysed only decodes them for display and re-sends the stored
result; the analyzer runs only for frames never analysed. A paused seek to an unanalysed frame
shows the picture without analysing it (one isolated frame would be analysed without tracking
context and then cached for good); playing from there analyses it. When analysis resumes at an
earlier time than it last ran, the analyzer is reset (its tracker expects time to move forward).
Recordings are paced to their own timestamps (`speed` x real time); when analysis is slower than
that, playback slows down instead of skipping frames, so no frame goes unanalysed.

Picking the patient (a click on a face) never loses a frame. A click on the face that already
is the patient changes nothing. In a stretch analysed already, the pick re-analyses from the
frame on screen as playback goes on: each stored result is replaced only when its new one exists
(the old ones stay until then, and are kept where the re-analysis stops: a seek, another
source). Every pick can be undone (`undo_pick`, newest first): the results it replaced come
back, frames first analysed after it are given the previous patient again, and the switch goes.

Live sources never end on their own: their `LiveFeed` hands over the newest frame (stale ones
are dropped and counted), declares the signal lost and reconnects; the worker passes its state
on (`sigSignal`, a `FeedState`, on every change and each second) and waits for frames again.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from app.core.analysis.analyzer import Analyzer
from app.core.analysis.patient import with_patient
from app.core.analysis.results import FrameResult
from app.core.analysis.sources import Frame
from app.core.errors import CoreError

from .frame_packet import FramePacket, ResultCache, to_qimage
from .readers import SourceInfo, make_reader

WARMUP_FRAMES = 3  # frames analysed before a re-analysis point, so its faces are confirmed


@dataclass
class Pick:
    """A face the user made the patient, kept so that it can be undone."""

    index: int  # frame from which it applies
    time_s: float
    track_id: int
    previous: int | None  # the patient's track id before the pick
    reanalysed: bool  # made in a stretch analysed already (the analyzer restarted there)
    replaced: ResultCache  # results the pick's analysis replaced: put back on undo
    reached: int  # last frame analysed under this pick


@dataclass(frozen=True)
class UndonePick:
    """What `undo_pick` did: the switch at (index, time_s) to `track_id` is gone; `restored`
    are the results now in force for the frames it had changed."""

    index: int
    time_s: float
    track_id: int
    restored: tuple[FrameResult, ...]


class AnalysisWorker(QObject):
    sigOpened = Signal(object)  # SourceInfo
    sigFrame = Signal(object)  # FramePacket
    sigPlaying = Signal(bool)
    sigPatientSelected = Signal(object)  # track id, or None when no face was at the click
    sigPatientKept = Signal(int)  # the click was on the face that already is the patient
    # (frame index, time_s, track id, re-analysed): the patient became another face there;
    # re-analysed: the stored results from that frame on are replaced as playback re-analyses
    # them (one by one: the old ones stay until then)
    sigPatientSwitched = Signal(int, float, int, bool)
    sigReanalysisStopped = Signal(int, float)  # from this frame on the earlier results stay
    sigPickUndone = Signal(object)  # UndonePick, or None: there was no pick to undo
    sigError = Signal(str)
    sigEnded = Signal()  # the source has no more frames (end of a recording, stream closed)
    sigSignal = Signal(object)  # FeedState of a live source: on every change, and each second
    sigFinished = Signal()

    def __init__(self, analyzer: Analyzer, source, *, autostart: bool = True,
                 start_paused: bool = False, speed: float = 1.0, cached=(),
                 display_max_width: int = 1280, open_retry_s: float = 0.0):
        """`source`: a core Source or a spec to open here. `autostart=False`: open, announce
        `sigOpened`, then wait for `activate()`. `cached`: FrameResults analysed earlier (a
        reopened session): shown again, never recomputed. `start_paused`: show the first frame
        and wait for play. `open_retry_s`: keep trying to open for this long (a camera or a
        one-viewer stream just let go of frees its slot a moment later)."""
        super().__init__()
        self._analyzer, self._spec = analyzer, source
        self._open_retry_s = open_retry_s
        self._autostart, self._start_paused = autostart, start_paused
        self.speed, self._max_w = speed, display_max_width
        self._cache = ResultCache(cached, getattr(analyzer, "classes", None))
        self._commands: queue.Queue = queue.Queue()
        self._reader = None
        self.info: SourceInfo | None = None
        self.playing = False
        self._stopping = False
        self._current: Frame | None = None  # the frame on screen
        self._held: Frame | None = None  # read but not shown yet (paused while pacing)
        self._pending_seek: float | None = None
        self._pending_step = 0
        self._anchor: tuple[float, float] | None = None  # (wall clock, media time) of pacing
        self._last_analysed: tuple[int, float] | None = None  # (index, time) fed to analyzer
        self._at_end = False
        self._signal_sent: tuple | None = None  # what the last sigSignal said, and when
        self.analysed_count = 0  # frames analysed by this worker (not from the cache)
        # A live session's video recorder (session/video.py), set by the window: each analysed
        # live frame is offered to it with its index and time; it never blocks this loop.
        self.video_sink = None
        self.analysis_threads: set[int] = set()  # thread idents that ran the analyzer
        self._picks: list[Pick] = []  # undo stack, newest last
        self._redo_next: int | None = None  # re-analysing after a pick: the next stored frame
        self._reset_next = False  # the analyzer's state no longer fits: reset before analysing

    # -- commands: any thread ------------------------------------------------------------
    def activate(self) -> None:
        self._commands.put(("activate",))

    def play(self) -> None:
        self._commands.put(("play",))

    def pause(self) -> None:
        self._commands.put(("pause",))

    def toggle_play(self) -> None:
        self._commands.put(("toggle",))

    def seek(self, time_s: float) -> None:
        self._commands.put(("seek", float(time_s)))

    def step(self, frames: int) -> None:
        self._commands.put(("step", int(frames)))

    def select_patient_at(self, x: float, y: float) -> None:
        self._commands.put(("select", float(x), float(y)))

    def undo_pick(self) -> None:
        self._commands.put(("undo",))

    def stop(self) -> None:
        self._commands.put(("stop",))

    # -- the loop: worker thread ---------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self._run()
        except CoreError as exc:
            self.sigError.emit(str(exc))
        except Exception as exc:  # never let the thread die silently
            self.sigError.emit(f"analysis stopped: {type(exc).__name__}: {exc}")
        finally:
            if self._reader is not None:
                self._reader.close()
            # Hand this object back to the GUI thread while its own thread can still do it:
            # the window then deletes it there, never across threads (issue 13.2).
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self.sigFinished.emit()

    def release(self) -> None:
        """Drop the result cache and frames of a stopped worker (a retired source's results
        can be hours of FrameResults; the session store keeps them)."""
        self._cache = ResultCache()
        self._reader = self._current = self._held = None

    def _run(self) -> None:
        self._reader = make_reader(self._spec, self._open_retry_s, lambda: self._stopping)
        self.info = self._reader.info
        self.sigOpened.emit(self.info)
        while not self._autostart and not self._stopping:  # wait until the GUI switches over
            self._handle(self._commands.get())
        self._analyzer.reset(still=self.info.kind == "image")
        if self._start_paused and self.info.seekable:
            self._goto(0, analyse=False)
        else:
            self._set_playing(not self._stopping)
        while not self._stopping:
            self._drain(block=not self.playing)
            if self._stopping:
                break
            if self.info.live:
                self._report_signal()
            if self._pending_seek is not None:
                self._do_seek()
            elif self._pending_step:
                self._do_step()
            elif self.playing:
                self._play_one()

    def _drain(self, block: bool) -> None:
        try:
            self._handle(self._commands.get(timeout=0.5) if block else self._commands.get_nowait())
            while True:
                self._handle(self._commands.get_nowait())
        except queue.Empty:
            pass

    def _handle(self, cmd: tuple) -> None:
        name = cmd[0]
        if name == "stop":
            self._stopping = True
        elif name == "activate":
            self._autostart = True
        elif name == "select":
            self._select(cmd[1], cmd[2])
        elif name == "undo":
            self._undo()
        elif self.info is None or not self._autostart:
            return  # playback commands before the GUI switched to this worker
        elif name in ("play", "pause", "toggle"):
            self._set_playing(not self.playing if name == "toggle" else name == "play")
        elif name == "seek" and self.info.seekable:
            self._pending_seek, self._pending_step = cmd[1], 0
        elif name == "step" and self.info.seekable:
            self._set_playing(False)
            self._pending_step += cmd[1]

    def _set_playing(self, playing: bool) -> None:
        if playing and self._at_end:
            self.sigEnded.emit()  # the end is a state: play does not silently start over
            return
        if playing and self._current is not None and self._cache.get(self._current.index) is None:
            self._held = self._current  # shown unanalysed (paused seek): analyse it first
        self._anchor = None
        if playing != self.playing:
            self.playing = playing
            self.sigPlaying.emit(playing)

    def _report_signal(self) -> None:
        """Tell the GUI how the live feed is doing when that changed, or a second passed."""
        feed = getattr(self._reader, "feed", None)
        if feed is None:
            return
        state = feed.state()
        key = (state.live, state.lost_since_s, state.attempts, state.ended, len(state.outages))
        now = time.monotonic()
        if self._signal_sent is None or self._signal_sent[0] != key \
                or now - self._signal_sent[1] >= 1.0:
            self._signal_sent = (key, now)
            self.sigSignal.emit(state)

    def _play_live(self) -> None:
        frame = self._reader.read(0.1)  # the newest frame, or None: no signal (yet)
        if frame is not None:
            self._show(frame, analyse=True)

    def _play_one(self) -> None:
        if self.info.live:
            self._play_live()
            return
        frame, self._held = self._held, None
        frame = frame or self._read()
        if frame is None:
            self._at_end = True
            self._set_playing(False)
            self.sigEnded.emit()
            return
        if self._wait_until_due(frame.time_s):
            self._show(frame, analyse=True)
        elif not self._stopping and self._pending_seek is None and not self._pending_step:
            self._held = frame  # paused while waiting: show it when playing resumes

    def _wait_until_due(self, time_s: float) -> bool:
        """Pace a recording to its timestamps; False if a command interrupted the wait."""
        if self.info.live:
            return True
        now = time.monotonic()
        if self._anchor is None:
            self._anchor = (now, time_s)
        due = self._anchor[0] + (time_s - self._anchor[1]) / max(self.speed, 1e-3)
        if now - due > 0.25:  # analysis fell behind: re-anchor instead of skipping frames
            self._anchor = (now, time_s)
        while (left := due - time.monotonic()) > 0:
            try:
                self._handle(self._commands.get(timeout=left))
            except queue.Empty:
                break
            if self._stopping or not self.playing or self._pending_seek is not None \
                    or self._pending_step:
                return False
        return True

    def _do_seek(self) -> None:
        fps = self.info.fps or 30.0
        index = max(round(self._pending_seek * fps), 0)
        if hasattr(self._reader, "index_at"):  # a recorded live video: its own clock
            index = self._reader.index_at(self._pending_seek)
        elif self.info.frame_count:  # unknown count: _goto backs off from past the end
            index = min(index, self.info.frame_count - 1)
        self._pending_seek, self._anchor = None, None
        self._stop_reanalysis()
        self._goto(index, analyse=self.playing)

    def _do_step(self) -> None:
        base = self._current.index if self._current is not None else -1
        index = max(0, base + self._pending_step)
        self._pending_step = 0
        continues = self._last_analysed is not None and index == self._last_analysed[0] + 1
        if not continues:
            self._stop_reanalysis()
        self._goto(index, analyse=continues)

    def _goto(self, index: int, analyse: bool) -> None:
        self._held, self._at_end = None, False
        for i in range(index, max(index - 8, -1), -1):  # frame counts are estimates: back off
            self._reader.seek(i)
            frame = self._read()
            if frame is not None:
                self._show(frame, analyse)
                return
        self._at_end = True
        self._set_playing(False)

    def _read(self) -> Frame | None:
        try:
            return self._reader.read()
        except CoreError as exc:  # truncated file, camera unplugged: keep what we have
            self.sigError.emit(str(exc))
            return None

    def _show(self, frame: Frame, analyse: bool, fresh: bool = False) -> None:
        result = self._cache.get(frame.index)
        if analyse and (result is None or frame.index == self._redo_next):
            result, fresh = self._analyse(frame), True
        h, w = frame.image.shape[:2]
        self._current = frame
        self.sigFrame.emit(FramePacket(frame.index, frame.time_s, to_qimage(frame.image,
                                       self._max_w), (w, h), result, fresh))

    def _select(self, x: float, y: float) -> None:
        """A click on a face: it becomes the patient from the frame on screen. In a recording's
        stretch analysed already, the analysis restarts there; the stored results after it are
        replaced one by one as playback reaches them."""
        cur = self._current
        shown = self._cache.get(cur.index) if cur is not None else None
        clicked = next((f for f in shown.faces if f.contains(x, y)), None) if shown else None
        if clicked is not None and clicked.is_patient:  # already the patient: nothing changes
            self.sigPatientSelected.emit(clicked.track_id)
            self.sigPatientKept.emit(clicked.track_id)
            return
        previous = shown.patient.track_id if shown is not None and shown.patient else None
        # The analyzer's tracks are those of the last frame it analysed: a pick on any other
        # frame of a recording (analysed before) restarts the analysis there.
        behind = (shown is not None and self.info is not None and self.info.seekable
                  and (self._last_analysed is None or cur.index != self._last_analysed[0]))
        if not behind:
            tid = self._analyzer.select_patient_at(x, y)
            self.sigPatientSelected.emit(tid)
            if tid is not None and cur is not None:
                if shown is not None:  # the frame on screen shows the new patient too
                    self._picks.append(Pick(cur.index, cur.time_s, tid, previous, False,
                                            ResultCache(classes=self._cache.classes),
                                            cur.index))
                    self._replace(with_patient(shown, tid))
                    self._show(cur, analyse=False, fresh=True)
                self.sigPatientSwitched.emit(cur.index, cur.time_s, tid, False)
            return
        if clicked is None:
            self.sigPatientSelected.emit(None)
            return
        # Warm the tracker up on the frames just before, so the faces there are confirmed.
        self._redo_next = None  # a re-analysis under way: this one covers what it had left
        self._analyzer.reset(still=False)
        self._reset_next = False
        for i in range(max(0, cur.index - WARMUP_FRAMES), cur.index + 1):
            self._reader.seek(i)
            frame = self._read()
            if frame is None:
                break
            result = self._analyzer.process(frame.image, frame.index, frame.time_s)
        tid = self._analyzer.select_patient_at(x, y)
        if frame is None or frame.index != cur.index or tid is None:
            self._reset_next = True  # the analyzer moved: the next analysis starts afresh
            self._reader.seek(cur.index + 1)  # playback goes on after the frame on screen
            self.sigPatientSelected.emit(None)
            return
        self._picks.append(Pick(cur.index, cur.time_s, tid, previous, True,
                                ResultCache(classes=self._cache.classes), cur.index))
        self._replace(with_patient(result, tid))
        self._redo_next = cur.index + 1
        self._last_analysed = (frame.index, frame.time_s)
        self._held, self._anchor, self._at_end = None, None, False
        self.analysed_count += 1
        self.sigPatientSelected.emit(tid)
        self.sigPatientSwitched.emit(frame.index, frame.time_s, tid, True)
        self._show(frame, analyse=False, fresh=True)

    def _replace(self, result: FrameResult) -> None:
        """Put a new result in the cache; the one it replaces is kept by the newest pick."""
        old = self._cache.get(result.index)
        pick = self._picks[-1] if self._picks else None
        if pick is not None and pick.index <= result.index <= pick.reached + 1:
            if old is not None and pick.replaced.get(result.index) is None:
                pick.replaced.put(old)
            pick.reached = max(pick.reached, result.index)
        self._cache.put(result)

    def _stop_reanalysis(self) -> None:
        """Playback leaves the re-analysis (a seek): the stored results from where it had got
        to stay as they were (the analyzer's tracks no longer continue there)."""
        at = self._redo_next
        if at is None:
            return
        self._redo_next = None
        stale = self._cache.get(at)
        if stale is not None:
            self.sigReanalysisStopped.emit(at, stale.time_s)

    def _undo(self) -> None:
        """Undo the newest pick: the results it replaced come back; frames first analysed after
        it are given the previous patient again (where that face is); the switch is gone."""
        if not self._picks:
            self.sigPickUndone.emit(None)
            return
        pick = self._picks.pop()
        self._redo_next = None
        restored = []
        for i in range(pick.index, pick.reached + 1):
            now = self._cache.get(i)
            before = pick.replaced.get(i)
            if before is None and now is not None and pick.previous is not None:
                before = with_patient(now, pick.previous)
            if before is not None and before != now:
                self._cache.put(before)
                restored.append(before)
        # The analyzer must stop following the face picked: back to the previous patient if
        # its track goes on, else start afresh (after a re-analysis its track ids differ).
        if pick.reanalysed or pick.previous is None \
                or not self._analyzer.set_patient(pick.previous):
            self._reset_next = True
        if self._picks:  # frames this undo put back count as replaced by the pick before
            self._picks[-1].reached = max(self._picks[-1].reached, pick.reached)
        self.sigPickUndone.emit(UndonePick(pick.index, pick.time_s, pick.track_id,
                                           tuple(restored)))
        cur = self._current
        if cur is not None and self._cache.get(cur.index) is not None:
            self._show(cur, analyse=False)  # the picture shows the patient as it is again

    def _analyse(self, frame: Frame) -> FrameResult:
        if self._reset_next or (self._last_analysed is not None
                                and frame.time_s < self._last_analysed[1]):
            self._analyzer.reset(still=self.info.kind == "image")
            self._reset_next = False
        self.analysis_threads.add(threading.get_ident())
        result = self._analyzer.process(frame.image, frame.index, frame.time_s)
        if self._redo_next == frame.index:  # re-analysing: the next stored frame is next
            more = self._cache.get(frame.index + 1) is not None
            self._redo_next = frame.index + 1 if more else None
        self._replace(result)
        self._last_analysed = (frame.index, frame.time_s)
        self.analysed_count += 1
        if self.video_sink is not None and self.info.live:
            self.video_sink.offer(frame.image, result.index, result.time_s)
        return result


def start_in_thread(worker: AnalysisWorker, parent: QObject | None = None) -> QThread:
    """Move `worker` to a new thread and run it; the thread quits when the worker finishes."""
    thread = QThread(parent)
    thread.setObjectName("fer-analysis")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: quit() is thread-safe, and the GUI thread may be blocked in wait() meanwhile.
    worker.sigFinished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread


def stop_thread(worker: AnalysisWorker, thread: QThread, timeout_ms: int = 10_000) -> bool:
    """Ask the worker to stop and wait for its thread (a stalled stream read times out in 5 s)."""
    worker.stop()
    thread.quit()
    if thread.wait(timeout_ms):
        return True
    thread.terminate()  # last resort, so the process never aborts on a running QThread
    return thread.wait(2000)
