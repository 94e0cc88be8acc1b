"""What a session report is made of, and the figures derived from it (no drawing here).

`ReportData(meta, frames, notes, metrics)` is the one input of the PDF report and of
`exports.export_report`; `ReportData.from_session(loaded)` builds it from a stored session.
`emotion_summary` gives, per class, the share of the frames with the patient's face and the
stretches where the emotion dominated: the session is cut into bins (1 s, coarser for sessions
over 10 min so that there are at most 600), each bin takes the majority label of its frames with
a face, and runs of bins with one label of at least `min_bins` are stretches; the longest
`top` per class are listed in time order.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.core.analysis.live_feed import Outage
from app.core.analysis.results import FrameResult
from app.core.analysis.uncertainty import OFF, UNCERTAIN, Threshold
from app.core.errors import CoreError
from app.core.report.looking_away import LookingAway, looking_away
from app.core.report.note_labels import NoteLabel, note_labels
from app.core.session.notes import Note, note_numbers
from app.core.session.outages import outages_from_events
from app.core.session.store import LoadedSession, SessionMeta
from app.core.session.types import Event


class ExportError(CoreError):
    """A report or CSV cannot be written (unwritable path, full disk); one line for the user."""


@dataclass(frozen=True)
class ReportData:
    meta: SessionMeta
    frames: Sequence[FrameResult]  # in time order
    notes: Sequence[Note] = ()
    metrics: dict | None = None  # the model's metrics.json, None when unknown
    threshold: Threshold = OFF  # below it a frame is uncertain (uncertainty.py)
    raw_frames: Sequence[FrameResult] | None = None  # `frames` before the baseline correction
    events: Sequence[Event] = ()  # the patient became another face (a click); signal lost
    sorted_notes: tuple[Note, ...] = field(init=False)  # in time order
    note_numbers: tuple[int, ...] = field(init=False)  # each one's number (order made), as above
    note_labels: tuple[NoteLabel, ...] = field(init=False)  # the model's label of each, as above

    def __post_init__(self):
        notes = tuple(sorted(self.notes, key=lambda n: (n.time_s, n.id or 0)))
        object.__setattr__(self, "sorted_notes", notes)
        object.__setattr__(self, "note_numbers", tuple(note_numbers(notes)))
        object.__setattr__(self, "note_labels", tuple(note_labels(
            self.frames, [n.time_s for n in notes], self.classes,
            uncertain_below=self.threshold.value, raw=self.raw_frames,
            outages=self.outages)))

    @property
    def classes(self) -> tuple[str, ...]:
        return self.meta.classes

    @property
    def looking_away(self) -> LookingAway:
        """The patient's looking-away episodes (report/looking_away.py)."""
        return looking_away(self.frames)

    @property
    def duration_s(self) -> float:
        return self.frames[-1].time_s if self.frames else 0.0

    @property
    def outages(self) -> list[Outage]:
        """Stretches without signal (live sessions); one still open ends with the session."""
        return outages_from_events(self.events, self.duration_s)

    @classmethod
    def from_session(cls, session: LoadedSession, metrics: dict | None = None,
                     threshold: Threshold = OFF) -> ReportData:
        return cls(session.meta, session.frames, session.notes, metrics, threshold,
                   events=session.events)


def load_metrics(model_path: str | Path | None) -> dict | None:
    """The test metrics written by fer-train beside the model (`metrics.json`), or None when
    absent, unreadable, for another model file, or lacking `test.accuracy`/`test.per_class`.

    For the int8 model fer-train wrote beside the float one (the app's default), the float
    model's metrics with `int8_file` set: its own overall accuracy is `int8.int8_accuracy`, and
    the per-class figures are the float model's, which it agrees with on `int8.agreement`."""
    if model_path is None:
        return None
    model_path = Path(model_path)
    try:
        metrics = json.loads((model_path.parent / "metrics.json").read_text(encoding="utf-8"))
        test = metrics["test"]
        float(test["accuracy"])
        dict(test["per_class"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    name = model_path.name
    if metrics.get("model_file", name) == name:
        return metrics
    int8 = metrics.get("int8")
    try:
        if int8["file"] == name:
            float(int8["int8_accuracy"])
            float(int8["agreement"])
            return {**metrics, "int8_file": name}
    except (KeyError, TypeError, ValueError):
        pass
    return None  # figures of a different model would mislead


def fmt_time(seconds: float, tenths: bool = False) -> str:
    """`mm:ss` (`h:mm:ss` from one hour on), `.t` with tenths: a clock, so cut, not rounded
    (3.95 s is 00:03.9, as the app's player shows it). One format for the app and the PDF."""
    if not math.isfinite(seconds):
        return "--:--"
    ms = int(round(max(0.0, seconds) * 1000))  # whole ms first: 2.3 s is 2.2999... in binary
    whole = ms // 1000
    h, m, s = whole // 3600, whole // 60 % 60, whole % 60
    text = f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
    return f"{text}.{ms % 1000 // 100}" if tenths else text


@dataclass(frozen=True)
class EmotionShare:
    label: str
    frames: int  # frames where this was the patient's label
    share: float | None  # of the frames with the patient's face, 0-1; None if there were none
    stretches: tuple[tuple[float, float], ...]  # (start_s, end_s), in time order


def face_fraction(frames: Sequence[FrameResult]) -> float:
    """Fraction of frames showing the patient's face."""
    return sum(r.label is not None for r in frames) / len(frames) if frames else 0.0


def turned_fraction(frames: Sequence[FrameResult]) -> float:
    """Fraction of frames showing the patient's face turned away (not read)."""
    return sum(r.turned_away for r in frames) / len(frames) if frames else 0.0


def frame_label(r: FrameResult, below: float = 0.0, raw: FrameResult | None = None) -> str | None:
    """The patient's label as shown and exported: None without the face, `uncertain` when
    the model's own top probability (`raw`, before a baseline correction) is below the
    threshold the model's calibration gives."""
    if r.probs is None or r.label is None:
        return None
    return UNCERTAIN if max((raw or r).probs) < below else r.label


def emotion_summary(frames: Sequence[FrameResult], classes: Sequence[str], *,
                    min_bins: int = 3, top: int = 3, below: float = 0.0,
                    raw: Sequence[FrameResult] | None = None) -> list[EmotionShare]:
    """Per class (and `uncertain` when a threshold is set), the share of the frames with the
    patient's face and where it dominated (`raw`: the frames before a baseline correction)."""
    labels = [frame_label(r, below, raw[i] if raw is not None else None)
              for i, r in enumerate(frames)]
    counts = Counter(lab for lab in labels if lab is not None)
    total = sum(counts.values())
    runs = dominant_runs(frames, min_bins=min_bins, labels=labels)
    out = []
    for c in (*classes, UNCERTAIN) if below > 0 else classes:
        mine = sorted((r for r in runs if r[0] == c), key=lambda r: r[2] - r[1], reverse=True)
        stretches = tuple(sorted((start, end) for _, start, end in mine[:top]))
        out.append(EmotionShare(c, counts[c], counts[c] / total if total else None, stretches))
    return out


def bin_seconds(frames: Sequence[FrameResult], max_bins: int = 600) -> float:
    """Bin length of `dominant_runs`: 1 s, longer when the session would need > max_bins."""
    return max(1.0, (frames[-1].time_s - frames[0].time_s) / max_bins) if frames else 1.0


def dominant_runs(frames: Sequence[FrameResult], *, min_bins: int = 3, max_bins: int = 600,
                  labels: Sequence[str | None] | None = None) -> list[tuple[str, float, float]]:
    """(label, start_s, end_s) of every run of >= min_bins bins with one majority label
    (`labels`: one per frame, default the frames' own)."""
    if not frames:
        return []
    t0, t1 = frames[0].time_s, frames[-1].time_s
    bin_s = bin_seconds(frames, max_bins)
    n_bins = int((t1 - t0) // bin_s) + 1
    votes: list[Counter[str]] = [Counter() for _ in range(n_bins)]
    if labels is None:
        labels = [r.label for r in frames]
    for r, label in zip(frames, labels, strict=True):
        if label is not None:
            votes[int((r.time_s - t0) // bin_s)][label] += 1
    major = [v.most_common(1)[0][0] if v else None for v in votes]
    runs, start = [], 0
    for i in range(1, n_bins + 1):
        if i == n_bins or major[i] != major[start]:
            if major[start] is not None and i - start >= min_bins:
                runs.append((major[start], t0 + start * bin_s, min(t1, t0 + i * bin_s)))
            start = i
    return runs
