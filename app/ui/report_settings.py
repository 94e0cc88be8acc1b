"""What the app needs from the model's files beside it: its metrics and uncertainty threshold."""

from __future__ import annotations

from app.core.analysis.uncertainty import Threshold, threshold_for
from app.core.report.data import load_metrics


def model_threshold(analyzer, override: float | None = None) -> Threshold:
    """The uncertainty threshold of the analyzer's model (its calibration), or `override`."""
    path = getattr(analyzer.classifier, "path", None)
    return threshold_for(path, load_metrics(path), override)
