"""The frames CSV (DESIGN.md): one row per decoded frame, in order, none skipped.

    frame,time_s,faces,label,p_happy,p_sad,p_surprise,p_neutral,uncertain[,raw_p_happy,...],
    yaw_deg,state[,no_signal_s]

The `p_` columns follow the model's classes. A frame without a (patient) face has empty
`label`, `p_` and `uncertain` cells; `faces` counts every face shown in the frame. Extra
columns come after the contract's, so readers of `frame,time_s,faces,label,p_*` keep working:
`uncertain` is 1 when the top probability is below the model's threshold (uncertainty.py; the
label is kept, but it should not be read as a confident one), else 0; `raw_p_*` hold the
model's own probabilities when `label`/`p_*` are baseline-corrected (baseline.py); `yaw_deg`
is the patient's head yaw in degrees (head_pose.py; positive = turned to the person's left,
empty when unknown or no patient face) and `state` is `classified`, `turned_away` (the patient
is there but turned too far to read: no label, not counted in emotion shares) or `no_face`.
Looking-away episodes (report/looking_away.py) are runs of `turned_away` rows.
`no_signal_s` (live sources: fer-analyze on a camera or stream, the app's export of a session
that lost its signal) is, on the first frame after an outage, the seconds without signal
before it, else empty: its sum is the time without signal, its filled cells the outages. The
writer streams and flushes every `flush_every` rows, so a crash or a bad input keeps the rows
written so far.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.analysis.results import FrameResult
from app.core.analysis.uncertainty import OFF, Threshold
from app.core.errors import CoreError
from app.core.paths import open_private

BASE_COLUMNS = ("frame", "time_s", "faces", "label")
POSE_COLUMNS = ("yaw_deg", "state")  # last: added by issue 29


NO_SIGNAL_COLUMN = "no_signal_s"


def header(classes: Sequence[str], raw: bool = False, signal: bool = False) -> list[str]:
    raw_cols = [f"raw_p_{c}" for c in classes] if raw else []
    signal_cols = [NO_SIGNAL_COLUMN] if signal else []
    return [*BASE_COLUMNS, *(f"p_{c}" for c in classes), "uncertain", *raw_cols, *POSE_COLUMNS,
            *signal_cols]


class FramesCsvWriter:
    """`with FramesCsvWriter(path, classes) as w: w.write(result)` — streaming, flushed often.

    The file is 0600 (patient data). Rows go to disk every `flush_every` rows; if a write
    fails (full disk), the file is cut back to its last whole row and a one-line CoreError
    names the file, so the CSV always ends on a complete row. `raw=True` adds the `raw_p_*`
    columns (`write(result, raw_probs)`). `outages` (a callable giving the live source's
    `Outage`s so far) adds `no_signal_s`, filled on the first row after each outage.
    """

    def __init__(self, path: str | Path, classes: Sequence[str], flush_every: int = 25, *,
                 threshold: Threshold = OFF, raw: bool = False,
                 outages: Callable[[], Sequence] | None = None):
        self.path = Path(path)
        self.classes = tuple(classes)
        self.threshold, self.raw = threshold, raw
        self._outages, self._prev_t = outages, float("-inf")
        self.flush_every = max(1, flush_every)
        self.rows = 0  # frame rows written (or buffered to be)
        self._kept = 0  # bytes on disk, ending on a whole row
        self._last_kept: int | None = None  # frame index of the last row on disk
        self._pending: list[tuple[str, int | None]] = []  # (CSV line, frame index)
        self._line = io.StringIO()
        self._csv = csv.writer(self._line)
        try:
            self._file = open_private(self.path, "wb", buffering=0)
        except OSError as exc:
            raise CoreError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._add(header(self.classes, raw, outages is not None), None)
        self.flush()

    def write(self, result: FrameResult, raw_probs: Sequence[float] | None = None) -> None:
        k = len(self.classes)
        if result.probs is None:
            probs, flag = [""] * k, ""
        else:
            probs = [f"{p:.4f}" for p in result.probs]
            # the model's own confidence (before a baseline) is what the threshold calibrates
            sure = raw_probs if raw_probs is not None else result.probs
            flag = "1" if self.threshold.uncertain(sure) else "0"
        raw = []
        if self.raw:
            raw = [""] * k if raw_probs is None else [f"{p:.4f}" for p in raw_probs]
        signal = []
        if self._outages is not None:
            ended = [o.duration() for o in self._outages() if o.end_s is not None
                     and self._prev_t + 1e-9 < o.end_s <= result.time_s + 1e-9]
            signal = [f"{sum(ended):.3f}" if ended else ""]
            self._prev_t = result.time_s
        yaw = "" if result.yaw_deg is None else f"{result.yaw_deg:.1f}"
        self._add([result.index, f"{result.time_s:.3f}", result.n_detected, result.label or "",
                   *probs, flag, *raw, yaw, result.state, *signal], result.index)
        self.rows += 1
        if len(self._pending) >= self.flush_every:
            self.flush()

    def _add(self, row: list, index: int | None) -> None:
        self._line.seek(0)
        self._line.truncate()
        self._csv.writerow(row)
        self._pending.append((self._line.getvalue(), index))

    def flush(self) -> None:
        """Write the buffered rows; on failure cut the file back to its last whole row."""
        if not self._pending or self._file.closed:
            return
        data = "".join(line for line, _ in self._pending).encode("utf-8")
        try:
            view = memoryview(data)
            while view:
                view = view[self._file.write(view):]
        except OSError as exc:
            self.rows -= sum(1 for _, i in self._pending if i is not None)
            self._pending = []
            with contextlib.suppress(OSError):
                os.ftruncate(self._file.fileno(), self._kept)
            self._file.close()
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or exc
            kept = ("nothing was written" if self._kept == 0 else "the header only"
                    if self._last_kept is None else f"it ends on the whole row of frame "
                    f"{self._last_kept}")
            raise CoreError(f"cannot write {self.path}: {reason}; {kept}") from None
        self._kept += len(data)
        self._last_kept = next((i for _, i in reversed(self._pending) if i is not None),
                               self._last_kept)
        self._pending = []

    def write_all(self, results: Iterable[FrameResult],
                  raw: Sequence[FrameResult] | None = None) -> None:
        """`raw`: the same frames before the baseline correction (for `raw_p_*`)."""
        for i, r in enumerate(results):
            self.write(r, raw[i].probs if raw is not None else None)

    def close(self) -> None:
        if not self._file.closed:
            try:
                self.flush()
            finally:
                self._file.close()

    def __enter__(self) -> FramesCsvWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class FrameRow:
    frame: int
    time_s: float
    faces: int
    label: str | None
    probs: tuple[float, ...] | None  # in the order of FramesTable.classes
    uncertain: bool | None = None  # None: no face, or a file without the column
    raw: tuple[float, ...] | None = None  # raw_p_* (baseline-corrected files only)
    no_signal_s: float | None = None  # seconds without signal before this frame (live)
    yaw_deg: float | None = None  # the patient's head yaw (None: unknown, or an older file)
    state: str | None = None  # classified | turned_away | no_face (None: an older file)


@dataclass(frozen=True)
class FramesTable:
    classes: tuple[str, ...]
    rows: tuple[FrameRow, ...]


def read_frames_csv(path: str | Path) -> FramesTable:
    """Read a frames CSV back (extra columns after the `p_` ones are allowed); raises CoreError
    (one line) if it is not one."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            head = next(reader, None)
            k = 0
            while head and 4 + k < len(head) and head[4 + k].startswith("p_"):
                k += 1
            if not head or tuple(head[:4]) != BASE_COLUMNS or k == 0:
                raise CoreError(f"{path}: not a frames CSV (header {','.join(head or [])!r})")
            classes = tuple(c[2:] for c in head[4:4 + k])
            col = {name: i for i, name in enumerate(head)}
            rows = tuple(_row(r, len(head), k, col) for r in reader if r)
    except (OSError, ValueError) as exc:
        raise CoreError(f"{path}: cannot read frames CSV ({exc})") from None
    return FramesTable(classes, rows)


def _row(cells: list[str], width: int, k: int, col: dict[str, int]) -> FrameRow:
    if len(cells) != width:
        raise ValueError(f"row {cells[:1]} has {len(cells)} cells, expected {width}")
    probs = None if cells[4] == "" else tuple(float(c) for c in cells[4:4 + k])
    flag = cells[col["uncertain"]] if "uncertain" in col else ""
    raw, first = None, col.get(f"raw_p_{_first_class(col)}")
    if first is not None and cells[first] != "":
        raw = tuple(float(c) for c in cells[first:first + k])
    gap = cells[col[NO_SIGNAL_COLUMN]] if NO_SIGNAL_COLUMN in col else ""
    yaw = cells[col["yaw_deg"]] if "yaw_deg" in col else ""
    return FrameRow(int(cells[0]), float(cells[1]), int(cells[2]), cells[3] or None, probs,
                    None if flag == "" else flag == "1", raw, float(gap) if gap else None,
                    None if yaw == "" else float(yaw),
                    cells[col["state"]] or None if "state" in col else None)


def _first_class(col: dict[str, int]) -> str:
    """The first class name, from the first `p_` column (index 4)."""
    return next((c[2:] for c, i in col.items() if i == 4), "")
