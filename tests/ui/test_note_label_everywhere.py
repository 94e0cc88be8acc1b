"""One model label per note: the notes list, the app's CSV and PDF, and fer-analyze agree."""

from __future__ import annotations

import csv
import shutil
import subprocess

import pytest

NOTE_TIMES = (0.5, 3.0, 7.25, 12.0, 19.0, 30.0)  # the clip is 19.7 s: the last one is after it


@pytest.fixture
def fast_window(qtbot, analyzer, demo_clip, store):
    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(demo_clip), store=store, patient_code="P-001", speed=8.0)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_app_exports_and_fer_analyze_give_each_note_the_same_label(
        fast_window, qtbot, tmp_path, demo_clip, ui_model):
    from app.core.cli import main as fer_analyze

    win = fast_window
    qtbot.waitUntil(lambda: win.model.info is not None
                    and win.model.buffer.analysed >= win.model.info.frame_count - 2,
                    timeout=90_000)
    for t in NOTE_TIMES:
        win.model.add_note(t, f"note at {t}")
    shown = [label.text for label in win.model.note_labels()]
    assert shown[-1] == "after last frame"  # flagged, not the last frame's label
    win.notes._refresh_labels()
    assert all(f"model: {text}" in win.notes.list.item(i).text() for i, text in enumerate(shown))

    frames_csv = tmp_path / "app_frames.csv"
    with qtbot.waitSignal(win.sessions.sigExported, timeout=30_000):
        win.export_csv(frames_csv)
    with open(tmp_path / "app_notes.csv", newline="") as f:
        app_rows = list(csv.DictReader(f))

    notes = tmp_path / "notes.csv"
    notes.write_text("time_s,text,perceived\n" + "".join(f"{t},note at {t},\n"
                                                       for t in NOTE_TIMES))
    rc = fer_analyze([str(demo_clip), "--csv", str(tmp_path / "cli.frames.csv"), "--model",
                      str(ui_model), "--notes", str(notes), "--pdf", str(tmp_path / "cli.pdf")])
    assert rc == 0
    with open(tmp_path / "cli.notes.csv", newline="") as f:
        cli_rows = list(csv.DictReader(f))

    def as_text(row):
        return row["model_label"] or {"after_end": "after last frame", "no_face": "no face",
                                      "uncertain": "uncertain",
                                      "not_analysed": "not analysed"}[row["model_status"]]

    assert [as_text(r) for r in app_rows] == shown
    assert [as_text(r) for r in cli_rows] == shown
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "cli.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        for t, label in zip(NOTE_TIMES, shown, strict=True):
            line = next(x for x in text.splitlines() if f"note at {t}" in x)
            assert label in line
