"""The status bar: source, frames/s, execution provider, frames analysed, share of frames with
the patient visible (the face read or turned away)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar

from app.core.analysis.providers import device_label

from .session_model import SessionModel
from .timefmt import format_time


class StatusPanel:
    """Permanent labels in a QStatusBar, refreshed by `tick()` (once a second)."""

    def __init__(self, bar: QStatusBar, model: SessionModel):
        self.bar, self.model = bar, model
        self.source = QLabel("—")
        self.rate = QLabel("— fps")
        self.provider = QLabel("—")
        self.analysed = QLabel("0 frames analysed")
        self.faces = QLabel("face: —")
        self.saving = QLabel("Not saved")
        self.signal = QLabel()  # live sources: delay and dropped frames, or no signal
        self.signal.hide()
        for w in (self.saving, self.source, self.signal, self.rate, self.provider,
                  self.analysed, self.faces):
            bar.addPermanentWidget(w)
        self._frames, self._since = 0, time.monotonic()
        self.fps = 0.0
        self.feed = None  # the live feed's last FeedState
        self.delay_s: float | None = None  # the frame on screen arrived this long ago

    def set_signal(self, state) -> None:
        """A live source's FeedState (None: not live)."""
        self.feed = state
        if state is None:
            self.delay_s = None
        self._show_signal()

    def _show_signal(self) -> None:
        state = self.feed
        self.signal.setVisible(state is not None)
        if state is None:
            return
        if state.lost_since_s is not None:
            self.signal.setText(f"No signal since {format_time(state.lost_since_s)}")
            self.signal.setStyleSheet("color: #C0392B; font-weight: 600;")
        else:
            delay = "—" if self.delay_s is None else f"{max(self.delay_s, 0.0):.2f} s"
            self.signal.setText(f"delay {delay} · {state.dropped:,} stale dropped")
            self.signal.setStyleSheet("")
        lost = len(state.outages)
        self.signal.setToolTip(
            "Delay: how long ago the frame on screen arrived. Stale frames: replaced by a newer "
            "one before they could be shown (never a backlog)."
            + (f"\nSignal lost {lost} time{'s' if lost != 1 else ''} in this session"
               if lost else ""))

    def set_saving(self, session_id: int | None, patient_code: str, error: str = "",
                   demo: bool = False, finished: bool = False) -> None:
        """Whether (and as which session) this session is being saved, or was (finished)."""
        if finished and session_id is not None and not error:
            self.saving.setText(f"● Finished · session {session_id} saved · "
                                f"{patient_code or 'no code'}")
            self.saving.setStyleSheet("color: #1E7D4F; font-weight: 600;")
            self.saving.setToolTip("Every frame and note of this session is in the database")
        elif demo and not error:
            self.saving.setText("● Demo clip · not recorded")
            self.saving.setStyleSheet("color: #8A5A00; font-weight: 600;")
            self.saving.setToolTip("File > New session… (Ctrl+Shift+N) starts a recorded "
                                   "session; File > Open source… opens your own")
        elif session_id is not None and not error:
            self.saving.setText(f"● Saving session {session_id} · {patient_code or 'no code'}")
            self.saving.setStyleSheet("color: #1E7D4F;")
            self.saving.setToolTip("Frames are written every half second, notes at once")
        else:
            self.saving.setText("● Not saved")
            self.saving.setStyleSheet("color: #C0392B; font-weight: 600;")
            self.saving.setToolTip(error or "No session database: nothing of this session is "
                                   "kept after the app closes")

    def frame_shown(self) -> None:
        self._frames += 1

    def tick(self) -> None:
        now = time.monotonic()
        elapsed = now - self._since
        if elapsed > 0:
            self.fps = self._frames / elapsed
        self._frames, self._since = 0, now
        info, buf = self.model.info, self.model.buffer
        self.source.setText(f"Source: {info.name} ({info.kind})" if info else "Source: —")
        self.rate.setText(f"{self.fps:4.1f} fps")
        provider = self.model.provider
        self.provider.setText(f"Model on {device_label(provider)}" if provider else "—")
        model = self.model.model_description
        self.provider.setToolTip(f"{model}\non {provider}" if model else provider)
        self.analysed.setText(f"{buf.analysed:,} frames analysed")
        # visible: the face found, read or turned away (a patient looking away is in view)
        turned = buf.turned_count
        share = f"{(buf.with_face + turned) / buf.analysed:.0%}" if buf.analysed else "—"
        self.faces.setText(f"patient visible: {share}")
        tip = "Share of analysed frames in which the patient's face was found"
        if buf.analysed:
            tip += (f": emotion read in {buf.with_face / buf.analysed:.0%}, turned away (not "
                    f"read) in {turned / buf.analysed:.0%}")
        self.faces.setToolTip(tip)
        self._show_signal()
