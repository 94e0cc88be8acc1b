"""Uncertain is a state: below the calibration's threshold a frame is drawn and exported so."""

from __future__ import annotations

import csv


def test_uncertain_frames_are_drawn_listed_and_exported(qtbot, analyzer, demo_clip, store,
                                                         tmp_path):
    from app.core.analysis.uncertainty import Threshold
    from app.ui.main_window import MainWindow

    # a threshold above any probability: every frame of the tiny test model is uncertain
    win = MainWindow(analyzer, str(demo_clip), store=store, patient_code="P-001",
                     threshold=Threshold(1.01, "test"))
    win.ask_details = lambda previous, source: previous
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.video.packet is not None and win.video.packet.result
                        is not None and bool(win.video.packet.result.faces), timeout=10_000)
        assert win.timeline.uncertain_line is not None
        assert win.timeline.uncertain_line.value() == 1.01
        face = win.video.packet.result.faces[0]
        assert win.video.face_text(face).startswith("Patient · uncertain (")
        qtbot.waitUntil(lambda: win.model.buffer.with_face >= 30, timeout=10_000)
        note = win.model.add_note(win.model.position, "hard to read")
        assert win.model.note_labels([note])[0].status == "uncertain"
        win.notes._refresh_labels()
        assert "model: uncertain" in win.notes.list.item(0).text()
        out = tmp_path / "f.csv"
        with qtbot.waitSignal(win.sessions.sigExported, timeout=30_000):
            win.export_csv(out)
        rows = list(csv.DictReader(out.open()))
        flags = {r["uncertain"] for r in rows if r["faces"] != "0"}
        assert flags == {"1"}
        notes = list(csv.DictReader((tmp_path / "f_notes.csv").open()))
        assert notes[0]["model_status"] == "uncertain" and notes[0]["model_label"] == ""
    finally:
        win.close()


def test_the_shipped_model_has_a_threshold_from_its_calibration():
    from app.core.analysis.uncertainty import threshold_for
    from app.core.paths import default_model_path
    from app.core.report.data import load_metrics

    path = default_model_path()
    threshold = threshold_for(path, load_metrics(path))
    assert 0.3 < threshold.value < 0.95, threshold


def test_one_rule_for_uncertain_in_the_tag_the_timeline_and_the_csv(qtbot, analyzer, demo_clip,
                                                                    store, tmp_path):
    """Issue 27.4: "uncertain (neutral 92 %)" mixed the raw rule with the corrected figure.
    The rule: the model's own top probability, before any baseline, below the threshold."""
    import numpy as np

    from app.core.analysis.baseline import Baseline
    from app.core.analysis.results import Face
    from app.core.analysis.uncertainty import Threshold
    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(demo_clip), store=store, patient_code="P-001",
                     threshold=Threshold(1.01, "test"))  # every face frame is uncertain
    qtbot.addWidget(win)
    win.show()
    try:
        # the tag: the figure in brackets is the one below the threshold (the model's own)
        classes = ("happy", "sad", "surprise", "neutral")
        rest = Baseline(0.0, 1.0, (0.1, 0.8, 0.05, 0.05), (0.1, 0.1, 0.1, 0.7), 25)
        view = win.video
        view.classes, view.baseline, view.uncertain_below = classes, rest, 0.67
        face = Face((0, 0, 10, 10), 1, (0.30, 0.55, 0.05, 0.10), "sad", is_patient=True)
        assert classes[int(np.argmax(rest.correct(face.probs)))] == "neutral"
        assert view.face_text(face) == "Patient · uncertain (sad 55%)"
        view.uncertain_below = 1.01

        qtbot.waitUntil(lambda: win.model.buffer.with_face >= 30, timeout=15_000)
        win.worker.pause()
        qtbot.waitUntil(lambda: not win.worker.playing, timeout=5000)
        timeline = win.timeline
        assert getattr(timeline.uncertain_line, "label", None) is None  # not on the curves
        assert "uncertain (below 101%)" in timeline.legend.text()
        win.ask_baseline = lambda parent, model: Baseline(
            0.0, 1.0, (0.97, 0.01, 0.01, 0.01), (0.1, 0.1, 0.1, 0.7), 25)
        win.set_baseline()
        timeline._drawn = (-1, None)
        timeline._refresh()
        assert timeline.corrected and not timeline.uncertain_line.isVisible()
        timeline.baseline_box.setChecked(False)  # the model's own curves: the line reads there
        assert timeline.uncertain_line.isVisible()

        out = tmp_path / "f.csv"
        with qtbot.waitSignal(win.sessions.sigExported, timeout=30_000):
            win.export_csv(out)
        rows = {int(r["frame"]): r for r in csv.DictReader(out.open())}
        flagged = {i for i, r in rows.items() if r["uncertain"] == "1"}
        times = win.model.buffer.x()
        marked = set(timeline.uncertain_band.times.tolist())
        banded = {i for i, t in enumerate(times) if i in rows and t in marked}
        assert flagged and banded == flagged  # the timeline's grey strip is the CSV's column
        assert not timeline.uncertain_band.boundingRect().isEmpty()
    finally:
        win.close()
