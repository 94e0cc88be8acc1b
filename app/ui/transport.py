"""Play/pause, seek slider and time read-out under the video.

The bar only emits requests (`sigSeek`, `sigTogglePlay`, `sigSkip`); the worker decides what
happens and the bar follows the frames that come back, so it never shows a position the video is
not at. Live sources show "LIVE" and no slider.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget

from .readers import SourceInfo
from .timefmt import format_time


class TransportBar(QWidget):
    sigTogglePlay = Signal()
    sigSeek = Signal(float)  # seconds
    sigSkip = Signal(float)  # seconds relative to now

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        style = self.style()
        self._icons = (style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
                       style.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self.play_button = self._button(self._icons[1], "Play / pause (Space)",
                                        self.sigTogglePlay.emit)
        self.back_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward), "Back 5 s (Left)",
            lambda: self.sigSkip.emit(-5.0))
        self.fwd_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Forward 5 s (Right)",
            lambda: self.sigSkip.emit(5.0))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the window shortcuts
        self.slider.sliderMoved.connect(lambda ms: self.sigSeek.emit(ms / 1000.0))
        self.time_label = QLabel("00:00 / 00:00")
        self.time_label.setMinimumWidth(130)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.live_label = QLabel("● LIVE")
        self.live_label.setStyleSheet("color: #C0392B; font-weight: 600;")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for w in (self.back_button, self.play_button, self.fwd_button, self.slider,
                  self.live_label, self.time_label):
            layout.addWidget(w)
        self._duration = 0.0
        self.set_source(None)

    def _button(self, icon, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setIcon(icon)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.clicked.connect(slot)
        return b

    def set_source(self, info: SourceInfo | None) -> None:
        seekable = bool(info and info.seekable)
        self._duration = (info.duration_s or 0.0) if info else 0.0
        for w in (self.slider, self.back_button, self.fwd_button):
            w.setVisible(seekable)
        self.live_label.setVisible(bool(info and info.live))
        self.slider.setRange(0, int(self._duration * 1000))
        self.set_position(0.0)

    def set_signal(self, lost: bool) -> None:
        """The live badge: red LIVE, or grey NO SIGNAL while a live source is lost."""
        self.live_label.setText("● NO SIGNAL" if lost else "● LIVE")
        self.live_label.setStyleSheet("color: #6B7780; font-weight: 600;" if lost
                                      else "color: #C0392B; font-weight: 600;")
        self.live_label.setToolTip("The live source delivers no frames; reconnecting" if lost
                                   else "A live source: frames as they arrive")

    def set_playing(self, playing: bool) -> None:
        self.play_button.setIcon(self._icons[1] if playing else self._icons[0])

    def set_position(self, time_s: float) -> None:
        if not self.slider.isSliderDown():  # the user is dragging: do not fight the hand
            self.slider.setValue(int(time_s * 1000))
        total = f" / {format_time(self._duration)}" if self._duration else ""
        self.time_label.setText(f"{format_time(time_s, tenths=True)}{total}")
