"""The report's timeline figure: the patient's class probabilities over session time.

Drawn with matplotlib's object API (no pyplot: no global state, no GUI backend) into PNG
bytes. Upper panel: one line per class, broken where the patient's face was not seen, numbered
dashed markers at the notes (numbers match the report's notes table), the baseline stretch
shaded when one is used. Lower strip: the
patient's emotion (highest probability), grey where no face, sand where the face was there but
turned away (not read); looking-away episodes (looking_away.py) are shaded sand across the
upper panel. Long sessions are averaged into at most `max_points` time bins, so an hour draws
as fast as a minute and the PNG stays small.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from app.core.analysis.results import FrameResult
from app.core.report.data import fmt_time
from app.core.report.looking_away import looking_away
from app.core.report.palette import (
    BASELINE_COLOUR,
    NO_FACE_COLOUR,
    SWITCH_COLOUR,
    TURNED_AWAY_COLOUR,
    UNCERTAIN_COLOUR,
    class_colour,
)
from app.core.session.notes import Note

NO_FACE = NO_FACE_COLOUR


def class_color(name: str, i: int) -> str:
    return class_colour(name, i)


def series(frames: Sequence[FrameResult], k: int, max_points: int = 2000):
    """(times, probs[n, k]) with NaN rows where no face; binned means beyond max_points."""
    t = np.array([r.time_s for r in frames], dtype=float)
    p = np.full((len(frames), k), np.nan)
    for i, r in enumerate(frames):
        if r.probs is not None:
            p[i] = r.probs
    if len(frames) <= max_points:
        return t, p
    edges = np.linspace(t[0], t[-1], max_points + 1)
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, max_points - 1)
    face = ~np.isnan(p[:, 0])
    sums = np.zeros((max_points, k))
    np.add.at(sums, which[face], p[face])
    n = np.bincount(which[face], minlength=max_points)[:, None]
    with np.errstate(invalid="ignore"):
        return (edges[:-1] + edges[1:]) / 2, np.where(n > 0, sums / np.maximum(n, 1), np.nan)


NO_SIGNAL_EDGE = "#4A5560"  # hatching of a live source's outage


def turned_series(frames: Sequence[FrameResult], max_points: int = 2000) -> np.ndarray:
    """[n] share of turned-away frames per point of `series` (0 or 1 unless binned)."""
    flags = np.array([r.turned_away for r in frames], dtype=float)
    if len(frames) <= max_points:
        return flags
    t = np.array([r.time_s for r in frames], dtype=float)
    edges = np.linspace(t[0], t[-1], max_points + 1)
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, max_points - 1)
    n = np.bincount(which, minlength=max_points)
    return np.bincount(which, flags, minlength=max_points) / np.maximum(n, 1)


def timeline_png(frames: Sequence[FrameResult], classes: Sequence[str], notes: Sequence[Note],
                 *, width_in: float = 7.2, height_in: float = 3.1, dpi: int = 200,
                 max_points: int = 2000, numbers: Sequence[int] | None = None,
                 below: float = 0.0, raw: Sequence[FrameResult] | None = None,
                 switches: Sequence[float] = (),
                 baseline: tuple[float, float] | None = None,
                 outages: Sequence[tuple[float, float]] = ()) -> bytes:
    """PNG bytes of the timeline; `notes` in time order, marked with `numbers` (default
    1.. in the order given); `baseline`: the resting-face stretch (start_s, end_s), shaded;
    `outages`: (start, end) of a live source's lost signal."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=[6, 0.7], hspace=0.12)
    ax = fig.add_subplot(grid[0])
    strip = fig.add_subplot(grid[1], sharex=ax)
    t, p = series(frames, len(classes), max_points)
    end = max([t[-1] if len(t) else 0.0, *(n.time_s for n in notes), 1.0])

    for i, name in enumerate(classes):
        ax.plot(t, p[:, i], color=class_color(name, i), lw=1.1, label=name, solid_capstyle="butt")
    ax.set_ylim(0, 1.0)
    ax.set_xlim(0, end)
    ax.set_ylabel("probability", fontsize=8)
    ax.tick_params(labelsize=7, labelbottom=False)
    ax.grid(axis="y", color="#DDDDDD", lw=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _note_markers(ax, notes, end, numbers or range(1, len(notes) + 1))
    for t_switch in switches:  # the patient became another face here
        for axis in (ax, strip):
            axis.axvline(t_switch, color=SWITCH_COLOUR, lw=1.4, zorder=3)
    handles, labels = ax.get_legend_handles_labels()
    if baseline is not None:
        ax.axvspan(*baseline, color=BASELINE_COLOUR, alpha=0.35, lw=0, zorder=0)
        handles.append(Patch(color=BASELINE_COLOUR, alpha=0.35, label="baseline (rest)"))
        labels.append("baseline (rest)")
    if below > 0:
        handles.append(Patch(color=UNCERTAIN_COLOUR, label="uncertain"))
        labels.append("uncertain")
    away = looking_away(frames)
    for start, stop in away.episodes:  # looking away: marked across the probability panel
        ax.axvspan(start, stop, color=TURNED_AWAY_COLOUR, alpha=0.45, lw=0, zorder=0)
    turned = turned_series(frames, max_points)
    if turned.any():
        handles.append(Patch(color=TURNED_AWAY_COLOUR, label="turned away"))
        labels.append("turned away")
    handles.append(Patch(color=NO_FACE, label="no face"))
    labels.append("no face")
    for start, stop in outages:  # no frame at all: hatched, unlike "no face"
        for axis in (ax, strip):
            axis.axvspan(start, stop, facecolor="white", edgecolor=NO_SIGNAL_EDGE, hatch="////",
                         lw=0.6, zorder=4)
    if outages:
        handles.append(Patch(facecolor="white", edgecolor=NO_SIGNAL_EDGE, hatch="////",
                             label="no signal"))
        labels.append("no signal")

    # uncertain: the model's own top probability (before a baseline) below the threshold
    top = np.max(series(raw, len(classes), max_points)[1] if raw is not None else p, axis=1)
    _label_strip(strip, t, p, classes, end, below, top, turned)
    strip.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 3, 5, 6, 10]))
    strip.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_time(x)))
    strip.tick_params(labelsize=7)
    strip.set_yticks([])
    strip.set_ylabel("emotion", fontsize=7, rotation=0, ha="right", va="center")
    strip.set_xlabel("session time (mm:ss)", fontsize=8)
    # below the axis: above it the note numbers need the room
    strip.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -1.9),
                 ncol=len(labels), frameon=False, fontsize=7.5, handlelength=1.6)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.04)
    return buf.getvalue()


def _note_markers(ax, notes: Sequence[Note], end: float, numbers: Sequence[int]) -> None:
    """Dashed line + circled number per note; close numbers are staggered upwards."""
    last_at_level: list[float] = []
    for i, note in zip(numbers, notes, strict=True):
        ax.axvline(note.time_s, color="#555555", lw=0.6, ls=(0, (3, 2)), zorder=0)
        level = next((lv for lv, at in enumerate(last_at_level)
                      if note.time_s - at > 0.025 * end), len(last_at_level))
        level = min(level, 2)
        if level == len(last_at_level):
            last_at_level.append(note.time_s)
        last_at_level[level] = note.time_s
        ax.annotate(str(i), (note.time_s, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 3 + 9 * level), textcoords="offset points", ha="center",
                    va="bottom", fontsize=6, annotation_clip=False,
                    bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "ec": "#555555",
                          "lw": 0.5})


def _label_strip(ax, t: np.ndarray, p: np.ndarray, classes: Sequence[str], end: float,
                 below: float = 0.0, top: np.ndarray | None = None,
                 turned: np.ndarray | None = None) -> None:
    ax.set_ylim(0, 1)
    ax.axvspan(0, end, color=NO_FACE, lw=0)
    if len(t) == 0:
        return
    face = ~np.isnan(p[:, 0])
    filled = np.nan_to_num(p, nan=-1.0)
    idx = np.where(face, np.argmax(filled, axis=1), -1)
    top = filled.max(axis=1) if top is None else np.nan_to_num(top, nan=-1.0)
    idx = np.where(face & (top < below), -2, idx)  # uncertain
    if turned is not None:  # no emotion read, and the face there but turned away
        idx = np.where(~face & (turned > 0), -3, idx)
    # each sample covers up to the next one (the last: one median step)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    right = np.append(t[1:], t[-1] + step)
    change = np.flatnonzero(np.diff(idx)) + 1
    for s, e in zip(np.r_[0, change], np.r_[change, len(idx)], strict=True):
        if idx[s] >= 0:
            ax.axvspan(t[s], right[e - 1], color=class_color(classes[idx[s]], int(idx[s])), lw=0)
        elif idx[s] == -2:
            ax.axvspan(t[s], right[e - 1], color=UNCERTAIN_COLOUR, lw=0)
        elif idx[s] == -3:
            ax.axvspan(t[s], right[e - 1], color=TURNED_AWAY_COLOUR, lw=0)
