"""A per-patient baseline in the app: marked, stored with the session, shown, exported."""

from __future__ import annotations

import csv

import numpy as np


def test_baseline_is_stored_shown_and_exported_with_raw_kept(window, store, qtbot, tmp_path):
    from app.ui.baseline_dialog import REMOVE, BaselineDialog

    qtbot.waitUntil(lambda: window.model.buffer.with_face >= 30, timeout=15_000)
    dialog = BaselineDialog(window.model, window)
    qtbot.addWidget(dialog)
    dialog.start.setValue(0.0)
    dialog.end.setValue(1.0)
    window.ask_baseline = lambda parent, model: dialog.compute()
    window.set_baseline()
    baseline = window.model.baseline
    assert baseline is not None and baseline.frames >= 5
    assert store.load_session(window.sessions.session_id).meta.baseline == baseline
    assert window.timeline.corrected and window.timeline.baseline_box.isEnabled()
    qtbot.waitUntil(lambda: window.timeline.curve_length() > 0, timeout=5000)
    window.timeline._refresh()
    shown = np.column_stack([c.yData for c in window.timeline._curves])
    raw = window.model.buffer.y()[: len(shown)]
    face = ~np.isnan(raw[:, 0])
    assert np.allclose(shown[face], baseline.correct(raw[face]), atol=1e-5)
    window.timeline.baseline_box.setChecked(False)  # the model's own, one click away
    window.timeline._refresh()
    assert np.allclose(window.timeline._curves[0].yData[face], raw[face, 0], atol=1e-6)

    note = window.model.add_note(0.9, "at rest")
    assert window.model.note_labels([note])[0].label == "neutral"  # rest reads neutral
    out = tmp_path / "f.csv"
    with qtbot.waitSignal(window.sessions.sigExported, timeout=30_000):
        window.export_csv(out)
    rows = list(csv.DictReader(out.open()))
    assert "raw_p_happy" in rows[0]
    notes = list(csv.DictReader((tmp_path / "f_notes.csv").open()))
    assert notes[0]["model_label"] == "neutral"

    window.ask_baseline = lambda parent, model: REMOVE
    window.set_baseline()
    assert window.model.baseline is None
    assert store.load_session(window.sessions.session_id).meta.baseline is None


def test_the_dialog_refuses_a_stretch_without_the_face(window, qtbot):
    from app.ui.baseline_dialog import BaselineDialog

    dialog = BaselineDialog(window.model, window)
    qtbot.addWidget(dialog)
    dialog.start.setValue(0.5)
    dialog.end.setValue(0.2)
    dialog.accept()
    assert "end must come after" in dialog.error.text() and dialog.choice is None


def test_a_stretch_that_is_not_rest_is_questioned_then_kept_and_shaded(window, qtbot):
    """Issue 27.5: the default stretch turned a crying patient neutral without a word."""
    from app.ui.baseline_dialog import BaselineDialog

    # the tiny test model reads every face "happy" at ~99 %: not a resting face
    qtbot.waitUntil(lambda: window.model.buffer.with_face >= 30, timeout=15_000)
    dialog = BaselineDialog(window.model, window)
    qtbot.addWidget(dialog)
    dialog.start.setValue(0.0)
    dialog.end.setValue(1.0)
    dialog.accept()
    said = dialog.error.text()
    assert dialog.choice is None and dialog.result() == 0  # not taken yet
    assert "does not look like rest" in said and "read happy with confidence" in said
    assert dialog.ok_button.text() == "Use it anyway"
    dialog.accept()  # the clinician keeps it
    assert dialog.choice is not None and dialog.choice.end_s == 1.0
    window.ask_baseline = lambda parent, model: dialog.choice
    window.set_baseline()
    region = window.timeline.baseline_region
    assert region.isVisible() and region.getRegion() == (0.0, 1.0)
    assert "baseline" in window.timeline.legend.text()
