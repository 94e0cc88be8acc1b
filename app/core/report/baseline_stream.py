"""`fer-analyze --baseline START:END`: the frames CSV streamed with baseline-corrected rows.

The baseline needs the frames of its stretch, and the CSV is written as the analysis goes (a
crash keeps the rows so far). So rows are held back only until the stretch is over (time past
END, or the end of the input), then the baseline is computed from the raw probabilities of the
stretch and every row is written corrected, the raw probabilities in the `raw_p_*` columns.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.analysis.baseline import Baseline, baseline_from
from app.core.analysis.results import FrameResult
from app.core.report.frames_csv import FramesCsvWriter


class BaselineStream:
    def __init__(self, writer: FramesCsvWriter, classes: Sequence[str], start_s: float,
                 end_s: float):
        self.writer, self.classes = writer, tuple(classes)
        self.start_s, self.end_s = start_s, end_s
        self.baseline: Baseline | None = None
        self._held: list[FrameResult] = []

    def write(self, result: FrameResult) -> None:
        if self.baseline is None:
            self._held.append(result)
            if result.time_s > self.end_s:
                self._settle()
            return
        self._write(result)

    def finish(self) -> Baseline:
        """Write what is held (the input ended inside the stretch); BaselineError if the
        stretch had too few frames with the patient's face."""
        if self.baseline is None:
            self._settle()
        return self.baseline

    def _settle(self) -> None:
        self.baseline = baseline_from(self._held, self.classes, self.start_s, self.end_s)
        held, self._held = self._held, []
        for r in held:
            self._write(r)

    def _write(self, raw: FrameResult) -> None:
        (corrected,) = self.baseline.apply([raw], self.classes)
        self.writer.write(corrected, raw.probs)
