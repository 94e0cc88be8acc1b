"""The frames CSV (DESIGN.md): one row per decoded frame, in order, none skipped.

    frame,time_s,faces,label,p_happy,p_sad,p_surprise,p_neutral

The `p_` columns follow the model's classes. A frame without a (patient) face has empty
`label` and `p_` cells; `faces` counts every face shown in the frame. The writer streams and
flushes every `flush_every` rows, so a crash or a bad input keeps the rows written so far.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.analysis.results import FrameResult
from app.core.errors import CoreError
from app.core.paths import open_private

BASE_COLUMNS = ("frame", "time_s", "faces", "label")


def header(classes: Sequence[str]) -> list[str]:
    return [*BASE_COLUMNS, *(f"p_{c}" for c in classes)]


class FramesCsvWriter:
    """`with FramesCsvWriter(path, classes) as w: w.write(result)` — streaming, flushed often.

    The file is 0600 (patient data). Rows go to disk every `flush_every` rows; if a write
    fails (full disk), the file is cut back to its last whole row and a one-line CoreError
    names the file, so the CSV always ends on a complete row.
    """

    def __init__(self, path: str | Path, classes: Sequence[str], flush_every: int = 25):
        self.path = Path(path)
        self.classes = tuple(classes)
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
        self._add(header(self.classes), None)
        self.flush()

    def write(self, result: FrameResult) -> None:
        if result.probs is None:
            probs = [""] * len(self.classes)
        else:
            probs = [f"{p:.4f}" for p in result.probs]
        self._add([result.index, f"{result.time_s:.3f}", len(result.faces), result.label or "",
                   *probs], result.index)
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

    def write_all(self, results: Iterable[FrameResult]) -> None:
        for r in results:
            self.write(r)

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


@dataclass(frozen=True)
class FramesTable:
    classes: tuple[str, ...]
    rows: tuple[FrameRow, ...]


def read_frames_csv(path: str | Path) -> FramesTable:
    """Read a frames CSV back; raises CoreError (one line) if it is not one."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            head = next(reader, None)
            if not head or tuple(head[:4]) != BASE_COLUMNS or not all(
                c.startswith("p_") for c in head[4:]
            ):
                raise CoreError(f"{path}: not a frames CSV (header {','.join(head or [])!r})")
            classes = tuple(c[2:] for c in head[4:])
            rows = tuple(_row(r, len(classes)) for r in reader if r)
    except (OSError, ValueError) as exc:
        raise CoreError(f"{path}: cannot read frames CSV ({exc})") from None
    return FramesTable(classes, rows)


def _row(cells: list[str], k: int) -> FrameRow:
    if len(cells) != 4 + k:
        raise ValueError(f"row {cells[:1]} has {len(cells)} cells, expected {4 + k}")
    probs = None if cells[4] == "" else tuple(float(c) for c in cells[4:])
    return FrameRow(int(cells[0]), float(cells[1]), int(cells[2]), cells[3] or None, probs)
