"""Session > Baseline…: mark a stretch as this patient's resting face (analysis/baseline.py).

The clinician gives the stretch (by default the first 10 s, or the 10 s up to the playhead
when that is later) in seconds; the baseline is the mean of the patient's raw probabilities
there. From then on the timeline, the notes' labels and the exports use the re-weighted
probabilities (the timeline's "Baseline" box shows the raw ones again); the session keeps the
baseline, and the raw probabilities are never changed. A stretch that does not look like rest
(baseline.rest_check) is not taken at once: the dialog says what it found, and the clinician
keeps it ("Use it anyway") or chooses another stretch.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.analysis.baseline import (
    Baseline,
    BaselineError,
    baseline_from_arrays,
    rest_check,
)

from .session_model import SessionModel

REMOVE = "remove"


class BaselineDialog(QDialog):
    def __init__(self, model: SessionModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Baseline: the patient's resting face")
        self.model = model
        end = max(model.buffer.last_time(), 0.1)
        current = model.baseline
        start_s, end_s = (current.start_s, current.end_s) if current else \
            (max(0.0, min(model.position, end) - 10.0), max(min(10.0, end), model.position))
        self.start, self.end = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value in ((self.start, start_s), (self.end, end_s)):
            box.setRange(0.0, max(end, value))
            box.setDecimals(1)
            box.setSuffix(" s")
            box.setValue(value)
        self.error = QLabel()
        self.error.setStyleSheet("color: #C0392B;")
        self.error.setWordWrap(True)
        self.error.setMinimumWidth(400)  # a wrapped warning keeps a readable width
        intro = QLabel("Mark a stretch where the patient's face was at rest. Probabilities are "
                       "then re-weighted so that it reads neutral; the model's own are kept.")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use as baseline")
        self.warning = ""  # why the stretch does not look like rest (shown, to confirm)
        for box in (self.start, self.end):  # another stretch: checked again
            box.valueChanged.connect(self._stretch_changed)
        self.remove_button = QPushButton("Remove baseline")
        self.remove_button.setEnabled(current is not None)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.remove_button.clicked.connect(self._remove)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self.choice: Baseline | str | None = None

    def compute(self) -> Baseline:
        times, probs = self.model.buffer.analysed_arrays()
        return baseline_from_arrays(times, probs, self.model.classes, self.start.value(),
                                    self.end.value())

    def check(self) -> str | None:
        """Why the stretch does not look like rest (the model's own probabilities), or None."""
        times, probs = self.model.buffer.analysed_arrays()
        sure = self.model.threshold.value or 0.5
        return rest_check(times, probs, self.model.classes, self.start.value(),
                          self.end.value(), sure)

    def accept(self) -> None:
        try:
            choice = self.compute()
        except BaselineError as exc:
            self.error.setText(str(exc))
            return
        if not self.warning and (why := self.check()):
            self.warning = why  # said once; the second press keeps the stretch
            self.error.setText(f"{why}\n\nUse it anyway, or choose another stretch where "
                               "the face is at rest.")
            self.ok_button.setText("Use it anyway")
            self.adjustSize()  # room for the warning, never squeezed over the fields
            return
        self.choice = choice
        super().accept()

    def _stretch_changed(self, *_) -> None:
        if self.warning:
            self.warning = ""
            self.error.setText("")
            self.ok_button.setText("Use as baseline")

    def _remove(self) -> None:
        self.choice = REMOVE
        super().accept()


def ask_baseline(parent: QWidget, model: SessionModel) -> Baseline | str | None:
    """A new Baseline, REMOVE, or None (cancelled)."""
    dialog = BaselineDialog(model, parent)
    choice = dialog.choice if dialog.exec() == QDialog.DialogCode.Accepted else None
    dialog.deleteLater()  # not kept as a hidden child of the window per use
    return choice
