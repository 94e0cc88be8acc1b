"""Help → About the model: what the running model is, how often it is right, where it errs,
and what "uncertain" means — the figures of its model card (report/model_figures.py), so the
clinician reads the timeline's probabilities knowing their limits."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.core.analysis.classifier import version_label
from app.core.analysis.providers import ProviderInfo, device_words
from app.core.analysis.uncertainty import Threshold
from app.core.report.data import load_metrics
from app.core.report.model_figures import mistakes_text, model_figures, summary, table

from .layout import readonly_table

LIMITS = (
    "The model estimates the expression a face displays in one frame, among these emotions "
    "only (anger, fear or disgust get the closest of them); it does not measure what the "
    "patient feels. It learnt from mostly frontal web photos: expect lower accuracy on turned "
    "faces, hands over the face, poor light, children and under-represented groups. Calm faces "
    "are the hardest case: people themselves disagree whether many of them look neutral or sad."
)


def model_text(classifier, threshold: Threshold) -> tuple[str, str, object]:
    """The dialog's rich text above the per-class table and below it, and the model's figures
    (None when it has no metrics.json)."""
    path = Path(getattr(classifier, "path", "") or "")
    version = version_label(getattr(classifier, "version", ""),
                            getattr(classifier, "precision", ""))
    head = f"<b>{escape(path.name or 'model')}</b>" + (f", version {escape(version)}"
                                                       if version else "")
    provider = getattr(classifier, "provider", None)
    if isinstance(provider, ProviderInfo):  # in words; the technical line is the tooltip
        head += f"<br>{escape(device_words(provider), quote=False)}"
    elif provider is not None:
        head += f"<br>Runs on {escape(str(provider))}."
    choice = getattr(classifier, "choice", "")
    if choice:  # int8 or float, and why (classifier.int8_rejection)
        head += f"<br>Why this model: {escape(choice)}."
    f = model_figures(load_metrics(path) if path.name else None, classifier.classes)
    top = [head]
    parts = []
    if f is None:
        top.append("No accuracy figures: there is no metrics.json of this model beside it.")
    else:
        top.append(summary(f, lambda s: f"<b>{s}</b>"))
        if f.mistakes:
            parts.append(mistakes_text(f))
        if f.ece is not None:
            parts.append(f"Calibration: expected calibration error {f.ece:.3f} on PublicTest "
                         "(0 = a shown probability of 90 % is right 90 % of the time).")
    if threshold.value > 0:
        parts.append(f"Frames whose top probability is below {threshold.value:.0%} are marked "
                     f"uncertain (grey): {escape(threshold.source)}.")
    else:
        parts.append(f"No frame is marked uncertain: {escape(threshold.source)}.")
    parts.append(LIMITS)
    card = path.with_name("MODEL_CARD.md") if path.name else None
    if card is not None and card.is_file():
        parts.append(f"The whole model card: {escape(str(card))}")
    return _html(top), _html(parts), f


def _html(paragraphs: list[str]) -> str:
    return "<p>" + "</p><p>".join(paragraphs) + "</p>"


def _label(html: str) -> QLabel:
    label = QLabel(html)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ModelDialog(QDialog):
    def __init__(self, classifier, threshold: Threshold, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About the model")
        top, rest, f = model_text(classifier, threshold)
        self.summary, self.details = _label(top), _label(rest)
        provider = getattr(classifier, "provider", None)
        if provider is not None:
            self.summary.setToolTip(f"Execution provider: {provider}")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        self.table = None
        if f is not None:
            header, *rows = table(f)
            self.table = readonly_table(header, rows)
            self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            self.table.setFixedHeight(self.table.verticalHeader().length()
                                      + self.table.horizontalHeader().sizeHint().height()
                                      + 2 * self.table.frameWidth())
            layout.addWidget(self.table)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        layout.addStretch(1)
        self.resize(640, 600)

    def text(self) -> str:
        """All the dialog says, as rich text (the table apart)."""
        return self.summary.text() + self.details.text()
