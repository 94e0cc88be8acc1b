"""The live emotion timeline: the patient's per-class probabilities over session time.

pyqtgraph practice: the plot, playhead and one curve per class are created once (curves again
only if a new model brings other classes); a 10 Hz timer calls `setData` with views of the
model's preallocated buffers, and only when they changed, never per frame. Curves downsample
by peak and clip to the view, so a 2-hour session draws as fast as a 2-minute one. Gaps without
a face are NaN and stay visible (connect="finite"). A live source's outages are hatched grey
bands marked *no signal* (the curves are hidden under them: no frame, not no face). Frames where
the patient's face was there but turned away (not read, head_pose.py) are a sand band behind the
curves, apart from the gaps of no face. Clinician notes are dashed vertical markers numbered as
in the notes list; a click anywhere on the plot asks to seek there.

Uncertain frames follow one rule everywhere (tag, timeline, CSV, report): the model's own top
probability, before any baseline, below the calibrated threshold. The timeline marks them in a
grey strip at its foot, whichever curves are shown; the dotted threshold line is drawn only over
the model's own curves (over baseline-corrected ones it would mean nothing) and is named in the
legend, not on the curves. The baseline stretch, when one is set, is shaded.
"""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from . import theme
from .session_model import SessionModel
from .timefmt import format_time
from .timeline_bands import Band, uncertain_times
from .timeline_buffer import SMOOTH_TAU_S

WINDOWS = (("Last 30 s", 30.0), ("Last 2 min", 120.0), ("Last 10 min", 600.0),
           ("Whole session", None))


class TimeAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):
        return [format_time(v) for v in values]


class TimelineView(QWidget):
    sigSeekRequested = Signal(float)

    def __init__(self, model: SessionModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self._curves: list[pg.PlotDataItem] = []
        self._note_lines: list[pg.InfiniteLine] = []
        self._drawn = (-1, None)  # (buffer version, smoothed) last handed to the curves
        self._follow = True

        self.title = QLabel("Emotion timeline · patient")
        self.title.setObjectName("panelTitle")
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)  # wraps between entries: never widens the window
        self.smooth_box = QCheckBox(f"Smoothed ({SMOOTH_TAU_S:g} s)")
        self.smooth_box.setToolTip("Show an exponential moving average instead of raw frames (S)")
        self.smooth_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.smooth_box.toggled.connect(self._refresh)
        self.baseline_box = QCheckBox("Baseline")
        self.baseline_box.setToolTip("Show probabilities re-weighted so this patient's resting "
                                     "face reads neutral (untick: the model's own); Ctrl+B sets it")
        self.baseline_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.baseline_box.toggled.connect(self._refresh)
        self.window_box = QComboBox()
        self.window_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for text, seconds in WINDOWS:
            self.window_box.addItem(text, seconds)
        self.window_box.activated.connect(self._choose_range)
        self.user_range: int | None = None  # the range the user picked (remembered)

        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": TimeAxis("bottom")})
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.18)
        item.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        item.hideButtons()
        item.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            item.getAxis(axis).setTextPen(theme.MUTED)
            item.getAxis(axis).setPen(pg.mkPen("#B8C2CA"))
        item.setLabel("left", "probability", color=theme.TEXT)  # after setTextPen, which resets it
        # PlotItem applies its own downsampling/clip settings to every curve it adds.
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        vb = item.getViewBox()
        vb.setMouseEnabled(x=True, y=False)
        vb.setYRange(-0.03, 1.12, padding=0)  # the band above 100% holds the note labels
        vb.setLimits(xMin=-1.0, yMin=-0.05, yMax=1.15)
        vb.sigRangeChangedManually.connect(self._stop_following)
        self.uncertain_line = None
        self.uncertain_band = Band(-0.03, 0.0, theme.UNCERTAIN)  # the frames, whatever is shown
        self._band_version, self._band_at = -1, 0.0
        item.addItem(self.uncertain_band, ignoreBounds=True)
        if model.threshold.value > 0:  # below it the top class is not to be trusted
            self.uncertain_line = pg.InfiniteLine(
                pos=model.threshold.value, angle=0, movable=False,
                pen=pg.mkPen(theme.UNCERTAIN, width=1, style=Qt.PenStyle.DotLine))
            item.addItem(self.uncertain_line, ignoreBounds=True)
            self.uncertain_line.setToolTip(
                f"A frame whose highest probability (the model's own) is below this line is "
                f"uncertain ({model.threshold.source})")
        self.baseline_region = pg.LinearRegionItem(
            movable=False, brush=pg.mkBrush(theme.BASELINE_FILL), pen=pg.mkPen(None))
        self.baseline_region.setZValue(-10)
        self.baseline_region.hide()
        item.addItem(self.baseline_region, ignoreBounds=True)
        # turned away: a filled band behind the curves (1 where turned, 0 elsewhere)
        sand = QColor(theme.TURNED_AWAY)
        sand.setAlpha(170)  # the grid still shows through
        self.turned_band = pg.PlotDataItem(pen=None, fillLevel=0.0, brush=pg.mkBrush(sand))
        self.turned_band.setZValue(-10)
        item.addItem(self.turned_band)
        self.playhead = pg.InfiniteLine(angle=90, movable=False,
                                        pen=pg.mkPen(theme.PLAYHEAD, width=2))
        self.playhead.setZValue(20)
        item.addItem(self.playhead, ignoreBounds=True)
        self.plot.scene().sigMouseClicked.connect(self._on_scene_click)
        self.plot.setToolTip("Click to jump there · drag to pan · wheel to zoom")

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(16)
        header.addWidget(self.legend, 1)
        header.addWidget(self.baseline_box)
        header.addWidget(self.smooth_box)
        header.addWidget(self.window_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)

        model.sigReset.connect(self._on_reset)
        model.sigNotesChanged.connect(self._draw_notes)
        model.sigBaselineChanged.connect(self._on_baseline)
        model.sigEventsChanged.connect(self._draw_events)
        self._event_lines: list[pg.InfiniteLine] = []
        self._outage_bands: list[pg.LinearRegionItem] = []
        model.sigPositionChanged.connect(self.playhead.setValue)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._refresh)
        self._timer.start()
        self._on_reset()

    # -- public -----------------------------------------------------------------------------
    @property
    def smoothed(self) -> bool:
        return self.smooth_box.isChecked()

    def set_smoothed(self, on: bool) -> None:
        self.smooth_box.setChecked(on)

    def curve_length(self) -> int:
        """Points last handed to the curves (all curves share x)."""
        return 0 if not self._curves or self._curves[0].xData is None \
            else len(self._curves[0].xData)

    def note_marker_count(self) -> int:
        return len(self._note_lines)

    def seek_at_scene_pos(self, pos: QPointF) -> bool:
        """Seek to the time under scene point `pos`; False if it is outside the plot area."""
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return False
        self.sigSeekRequested.emit(max(0.0, vb.mapSceneToView(pos).x()))
        return True

    # -- model changes --------------------------------------------------------------------
    def _on_reset(self) -> None:
        classes = self.model.classes
        if tuple(c.name() for c in self._curves) != classes:
            item = self.plot.getPlotItem()
            for curve in self._curves:
                item.removeItem(curve)
            self._curves = []
            for k, name in enumerate(classes):
                # Width 1: Qt's fast cosmetic stroker. A 2-px antialiased pen takes the general
                # stroker, ~100x slower on a long downsampled curve (seconds per redraw).
                curve = pg.PlotDataItem(pen=pg.mkPen(theme.class_colour(name, k), width=1),
                                        name=name, antialias=True, connect="finite")
                item.addItem(curve)  # takes the plot's peak downsampling and clip-to-view
                self._curves.append(curve)
        self.legend.setText(self._legend_html(classes))
        self.baseline_region.hide()  # a new session starts without a baseline
        live = bool(self.model.info and self.model.info.live)
        default = 1 if live else len(WINDOWS) - 1
        self.window_box.setCurrentIndex(default if self.user_range is None else self.user_range)
        self._follow, self._drawn = True, (-1, None)
        self._band_version = -1  # a new buffer: the strip is drawn afresh
        self.baseline_box.setEnabled(False)
        self.baseline_box.setChecked(False)
        self.playhead.setValue(0.0)
        self._refresh()

    def _legend_html(self, classes) -> str:
        swatches = [f"<span style='color:{theme.class_colour(n, k).name()}'>&#9632;</span>"
                    f"&nbsp;{n}" for k, n in enumerate(classes)]
        if self.model.threshold.value > 0:
            swatches.append(f"<span style='color:{theme.UNCERTAIN}'>&#9476;&#9632;</span>&nbsp;"
                            f"uncertain (below {self.model.threshold.value:.0%})")
        if self.model.baseline is not None:
            swatches.append(f"<span style='color:{theme.BASELINE_EDGE}'>&#9608;</span>&nbsp;"
                            "baseline")
        swatches.append(f"<span style='color:{theme.TURNED_AWAY}'>&#9632;</span>&nbsp;turned "
                        "away")
        swatches.append(f"<span style='color:{theme.NOTE}'>&#9475;</span>&nbsp;note")
        swatches.append(f"<span style='color:{theme.PLAYHEAD}'>&#9475;</span>&nbsp;now")
        return "&nbsp;&nbsp; ".join(swatches)  # a plain space: a line may break there

    def _draw_notes(self) -> None:
        item = self.plot.getPlotItem()
        for line in self._note_lines:
            item.removeItem(line)
        self._note_lines = []
        for number, note in zip(self.model.note_numbers(), self.model.notes, strict=True):
            tag = f"{number}" + (f" · {note.perceived}" if note.perceived else "")
            line = pg.InfiniteLine(
                pos=note.time_s, angle=90, movable=False,
                pen=pg.mkPen(theme.NOTE, width=1.5, style=Qt.PenStyle.DashLine), label=tag,
                labelOpts={"position": 0.965, "color": theme.NOTE,
                           "fill": pg.mkBrush(255, 255, 255, 230), "anchors": [(0, 0), (0, 0)]})
            line.setZValue(10)
            if note.text:
                line.setToolTip(note.text)
            item.addItem(line, ignoreBounds=True)
            self._note_lines.append(line)

    def _on_baseline(self) -> None:
        base = self.model.baseline
        on = base is not None
        self.baseline_box.setEnabled(on)
        self.baseline_box.setChecked(on)
        self.baseline_region.setVisible(on)
        if on:
            self.baseline_region.setRegion((base.start_s, base.end_s))
            self.baseline_region.setToolTip(
                f"Baseline: the patient's resting face, {base.start_s:.1f}–{base.end_s:.1f} s")
        self.legend.setText(self._legend_html(self.model.classes))
        self.title.setText("Emotion timeline · patient" + (" · baseline-corrected" if on
                                                          else ""))
        self._drawn = (-1, None)
        self._refresh()

    @property
    def corrected(self) -> bool:
        """Curves show baseline-corrected probabilities."""
        return self.model.baseline is not None and self.baseline_box.isChecked()

    def _draw_events(self) -> None:
        """A solid line where the patient became another face (a click on a face), a band
        where a live source had no signal."""
        item = self.plot.getPlotItem()
        for line in self._event_lines:
            item.removeItem(line)
        self._event_lines = []
        self._draw_outages()
        for event in self.model.events:
            if event.kind != "patient":
                continue
            line = pg.InfiniteLine(
                pos=event.time_s, angle=90, movable=False,
                pen=pg.mkPen(theme.SWITCH, width=2), label=f"patient → {event.detail}",
                labelOpts={"position": 0.9, "color": theme.SWITCH,
                           "fill": pg.mkBrush(255, 255, 255, 230), "anchors": [(0, 0), (0, 0)]})
            line.setZValue(15)
            item.addItem(line, ignoreBounds=True)
            self._event_lines.append(line)

    def event_marker_count(self) -> int:
        return len(self._event_lines)

    def _draw_outages(self) -> None:
        item = self.plot.getPlotItem()
        outages = self.model.outages()
        while len(self._outage_bands) > len(outages):
            band = self._outage_bands.pop()
            item.removeItem(band.under)
            item.removeItem(band)
        while len(self._outage_bands) < len(outages):
            brush = pg.mkBrush(theme.NO_SIGNAL)
            brush.setStyle(Qt.BrushStyle.BDiagPattern)
            band = pg.LinearRegionItem(movable=False, brush=brush,
                                       pen=pg.mkPen(theme.NO_SIGNAL, width=1))
            band.setZValue(9)  # over the curves (nothing was seen there), under the notes
            # an opaque white under the hatching hides the curve joining across the gap
            under = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(255, 255, 255, 255),
                                        pen=pg.mkPen(None))
            under.setZValue(8)
            band.under = under
            pg.InfLineLabel(band.lines[0], "no signal", position=0.5, rotateAxis=(1, 0),
                            anchor=(1, 1), color=theme.NO_SIGNAL)
            item.addItem(under, ignoreBounds=True)
            item.addItem(band, ignoreBounds=True)
            self._outage_bands.append(band)
        self._place_outages(outages)

    def _place_outages(self, outages) -> None:
        for band, outage in zip(self._outage_bands, outages, strict=True):
            end = outage.end_s if outage.end_s is not None else max(self.model.position,
                                                                    outage.start_s)
            band.setRegion((outage.start_s, end))
            band.under.setRegion((outage.start_s, end))
            band.setToolTip(f"No signal {format_time(outage.start_s, tenths=True)} – "
                            f"{format_time(end, tenths=True)}"
                            + (" (still lost)" if outage.end_s is None else ""))

    def outage_band_count(self) -> int:
        return len(self._outage_bands)

    def outage_regions(self) -> list[tuple[float, float]]:
        return [tuple(b.getRegion()) for b in self._outage_bands]

    # -- drawing ----------------------------------------------------------------------------
    def _refresh(self) -> None:
        buf, state = self.model.buffer, (self.smoothed, self.corrected)
        if self._drawn != (buf.version, state) and self._curves:
            x, y = buf.x(), buf.y(self.smoothed)
            if self.corrected:
                y = self.model.baseline.correct(y)
            for k, curve in enumerate(self._curves):
                curve.setData(x, y[:, k], connect="finite")
            if self.uncertain_line is not None:  # it reads against the model's own curves
                self.uncertain_line.setVisible(not self.corrected)
            turned = buf.turned()
            if turned.any():
                self.turned_band.setData(x, turned.astype(float))
            else:
                self.turned_band.setData([], [])
            forced = self._drawn[0] == -1
            self._drawn = (buf.version, state)
            self._refresh_band(forced)
        elif self._band_version != buf.version:
            self._refresh_band(False)  # what the last second of playing left
        if self._outage_bands and self._outage_bands[-1].getRegion()[1] < self.model.position:
            outages = self.model.outages()
            if outages and outages[-1].end_s is None:
                self._place_outages(outages)  # the band of an outage still on grows
        if self._follow:
            self._apply_window()

    def _refresh_band(self, forced: bool) -> None:
        """The uncertain strip follows the buffer at most once a second while frames come
        (it reads every frame of the session), at once when asked."""
        buf, now = self.model.buffer, time.monotonic()
        if self._band_version == buf.version or not forced and now - self._band_at < 1.0:
            return
        self.uncertain_band.set_times(
            uncertain_times(buf.x(), buf.y(), self.model.threshold.value), buf.step)
        self._band_version, self._band_at = buf.version, now

    def _apply_window(self) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        span = self.window_box.currentData()
        if span is None:
            end = max(self.model.duration(), 10.0)
            vb.setXRange(0.0, end, padding=0.01)
        else:
            start = max(0.0, self.model.position - 0.8 * span)
            vb.setXRange(start, start + span, padding=0)

    def _choose_range(self, index: int) -> None:
        self.user_range = index
        self._follow_again()

    def _follow_again(self) -> None:
        self._follow = True
        self._apply_window()

    def _stop_following(self, *_) -> None:
        self._follow = False  # the user panned/zoomed: leave the view alone until asked

    def _on_scene_click(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not event.double():
            self.seek_at_scene_pos(event.scenePos())
