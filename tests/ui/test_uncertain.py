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
