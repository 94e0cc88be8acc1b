"""Uncertain frames: a top probability too low for the label to be trusted, from the calibration.

A frame is *uncertain* when the patient's highest class probability is below a threshold; it is
drawn and exported as uncertain (the frames CSV keeps its label and adds `uncertain=1`), and it
votes `uncertain` for a note's label (note_labels.py).

The threshold comes from the model's calibration: the lowest top probability from which on the
model's labels are right at least `LEVEL` (2/3) of the time on held-out faces, i.e. below it
the label is wrong more often than one time in three. Where it is read from, first found wins:

1. `calibration.json` beside the model, written by `benchmarks/calibration.py` for exactly this
   model file (its SHA-256 must match): a reliability table measured on fer-train's
   validation split (an app setting is never taken from the test set);
2. `metrics.json` beside the model (`fer-train`): `calibration.uncertain_below` (measured on
   the validation split), else (older models) its
   reliability table on PublicTest (`calibration.reliability`, per truth: the original labels
   are used), else a calibrated model (`calibration.ece_original` <= 0.03), whose confidence
   *is* its accuracy, so the threshold is `LEVEL` itself;
3. nothing known: 0 (no frame is called uncertain), said as such in the report.

An int8 model (`fer_cnn_int8.onnx`, quantized from the float model beside it and within half
a point of its accuracy) uses the float model's calibration.

A table is a list of bins `{"lo", "hi", "n", "accuracy"}` over the top probability; the
threshold is the lower edge of the lowest bin from which every bin with at least `MIN_COUNT`
faces reaches `LEVEL`. `--uncertain-below P` (both programs) overrides it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

UNCERTAIN = "uncertain"
INT8_SUFFIX = "_int8"  # as app/core/paths.py
LEVEL = 2 / 3
MIN_COUNT = 20
CALIBRATED_ECE = 0.03


@dataclass(frozen=True)
class Threshold:
    value: float  # 0 = off
    source: str  # how it was found, one phrase for the README/report

    def uncertain(self, probs: Sequence[float] | None) -> bool:
        return probs is not None and max(probs) < self.value


OFF = Threshold(0.0, "no calibration known for this model: no frame is marked uncertain")


def from_table(bins: Sequence[dict], level: float = LEVEL, min_count: int = MIN_COUNT) -> float:
    """Lower edge of the lowest bin from which every well-filled bin is right >= `level`."""
    rows = sorted((float(b["lo"]), float(b["hi"]), int(b.get("n", b.get("count", 0))),
                   float(b["accuracy"])) for b in bins)
    threshold = rows[-1][1] if rows else 0.0
    for lo, _hi, count, acc in reversed(rows):
        if count >= min_count and acc < level:
            break
        threshold = lo
    return threshold


def model_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def threshold_for(model_path: str | Path | None, metrics: dict | None = None,
                  override: float | None = None) -> Threshold:
    """The uncertainty threshold of a model (see the module docstring for the order)."""
    if override is not None:
        return Threshold(float(override), "set by --uncertain-below")
    if model_path is not None:
        found = _calibration_file(Path(model_path))
        if found is not None:
            return found
        source = _float_source(Path(model_path))
        if metrics is None and source is not None:
            metrics = _metrics_of(source)
    cal = (metrics or {}).get("calibration") if isinstance(metrics, dict) else None
    if isinstance(cal, dict):
        try:
            if "uncertain_below" in cal:
                return Threshold(float(cal["uncertain_below"]), "the model's metrics.json")
            table = cal.get("reliability")
            if isinstance(table, dict):  # one table per truth: the original labels first
                table = table.get("original") or next(iter(table.values()), None)
            if table:
                return Threshold(from_table(table), "the model's reliability table on "
                                 f"PublicTest: labels below it are right less than {LEVEL:.0%} "
                                 "of the time")
            ece = float(cal.get("ece_original", cal.get("ece", 1.0)))
            if ece <= CALIBRATED_ECE:
                return Threshold(LEVEL, f"a calibrated model (ECE {ece:.3f})")
        except (KeyError, TypeError, ValueError):
            pass
    return OFF


def _float_source(model_path: Path) -> Path | None:
    """The float model an int8 one was quantized from (`x_int8.onnx` -> `x.onnx`)."""
    if not model_path.stem.endswith(INT8_SUFFIX):
        return None
    source = model_path.with_name(model_path.stem.removesuffix(INT8_SUFFIX) + model_path.suffix)
    return source if source.is_file() else None


def _metrics_of(model_path: Path) -> dict | None:
    try:
        metrics = json.loads((model_path.parent / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(metrics, dict) and metrics.get("model_file", model_path.name) == model_path.name
    return metrics if ok else None


def _calibration_file(model_path: Path) -> Threshold | None:
    try:
        cal = json.loads((model_path.parent / "calibration.json").read_text(encoding="utf-8"))
        measured = {model_sha256(p) for p in (model_path, _float_source(model_path)) if p}
        if cal.get("model_sha256") not in measured:
            return None  # measured on another model: would mislead
        value = from_table(cal["reliability"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return Threshold(value, f"{cal.get('split', 'held-out faces')}: labels below it are right "
                            f"less than {LEVEL:.0%} of the time")
