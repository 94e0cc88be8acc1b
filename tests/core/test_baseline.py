"""A per-patient baseline: log-space prior correction, kept raw, in fer-analyze and the PDF."""

from __future__ import annotations

import csv
import shutil
import subprocess

import numpy as np
import pytest

from app.core.analysis.baseline import BaselineError, baseline_from, parse_stretch, target_for
from app.core.analysis.results import FrameResult

CLASSES = ("happy", "sad", "surprise", "neutral")
REST = (0.05, 0.6, 0.05, 0.3)  # a calm face with a down-turned mouth: reads "sad"


def frames(probs, n=20, fps=10.0, start=0):
    return [FrameResult(start + i, (start + i) / fps, (), CLASSES[int(np.argmax(probs))],
                        tuple(probs)) for i in range(n)]


def test_the_resting_face_reads_neutral_and_changes_read_as_changes():
    rest = frames(REST)
    b = baseline_from(rest, CLASSES, 0.0, 1.9)
    assert b.probs == pytest.approx(REST) and b.frames == 20
    assert target_for(CLASSES) == pytest.approx((0.1, 0.1, 0.1, 0.7))
    assert b.correct(np.array(REST)) == pytest.approx(b.target)  # rest -> the target
    (at_rest,) = b.apply(rest[:1], CLASSES)
    assert at_rest.label == "neutral" and rest[0].label == "sad"
    smile = np.array((0.6, 0.2, 0.05, 0.15))
    assert CLASSES[int(np.argmax(b.correct(smile)))] == "happy"
    # log p - log b + log t, renormalised
    expected = np.exp(np.log(smile) - np.log(REST) + np.log(b.target))
    assert b.correct(smile) == pytest.approx(expected / expected.sum())
    none = FrameResult(99, 9.9)
    assert b.apply([none], CLASSES) == [none]


def test_a_stretch_without_the_face_or_inverted_is_a_clear_error():
    with pytest.raises(BaselineError, match="at least"):
        baseline_from([FrameResult(i, i / 10) for i in range(20)], CLASSES, 0.0, 2.0)
    with pytest.raises(BaselineError, match="end must come after"):
        baseline_from(frames(REST), CLASSES, 3.0, 1.0)
    assert parse_stretch("0:20") == (0.0, 20.0) and parse_stretch("1.5:3") == (1.5, 3.0)
    for bad in ("20", "5:2", "a:b", "-1:2"):
        with pytest.raises(ValueError):
            parse_stretch(bad)


def test_fer_analyze_baseline_corrects_labels_and_keeps_raw(tmp_path, face_clip, tiny_model,
                                                             capsys):
    from app.core.cli import main

    out, notes = tmp_path / "f.csv", tmp_path / "notes.csv"
    notes.write_text("time_s,text,perceived\n0.9,calm,neutral\n")
    rc = main([str(face_clip), "--csv", str(out), "--model", str(tiny_model), "--baseline",
               "0:0.5", "--notes", str(notes), "--pdf", str(tmp_path / "r.pdf")])
    assert rc == 0, capsys.readouterr().err
    assert "baseline" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0])[-6:-2] == [f"raw_p_{c}" for c in CLASSES]  # then yaw_deg, state
    face = [r for r in rows if r["p_happy"]]
    assert face and all(r["raw_p_happy"] for r in face)
    raw = np.array([[float(r[f"raw_p_{c}"]) for c in CLASSES] for r in face])
    fixed = np.array([[float(r[f"p_{c}"]) for c in CLASSES] for r in face])
    assert not np.allclose(raw, fixed)
    assert all(r["label"] == CLASSES[int(np.argmax(p))] for r, p in zip(face, fixed,
                                                                       strict=True))
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "resting face 00:00.0" in " ".join(text.split())
    with pytest.raises(SystemExit) as exit_:
        main([str(face_clip), "--csv", str(out), "--model", str(tiny_model), "--baseline",
              "5:2"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "START < END" in err


def test_a_stretch_that_is_not_rest_is_called_so_with_what_was_found():
    """Issue 27.5: crying through the default 0-10 s turned a crying patient neutral, unsaid."""
    from app.core.analysis.baseline import rest_check_frames

    crying = frames((0.02, 0.9, 0.03, 0.05), n=30)
    why = rest_check_frames(crying, CLASSES, 0.0, 10.0, confident=0.67)
    assert why is not None and "does not look like rest" in why
    assert "100% of its frames with the face read sad with confidence" in why
    faceless = [FrameResult(i, i / 10) for i in range(20)] + frames(REST, n=5, start=20)
    why = rest_check_frames(faceless, CLASSES, 0.0, 10.0)
    assert why is not None and "no face in 80% of its 25 frames" in why
    assert rest_check_frames(frames(REST), CLASSES, 0.0, 10.0, confident=0.67) is None
    calm = frames((0.1, 0.1, 0.1, 0.7))  # a confident neutral face is rest
    assert rest_check_frames(calm, CLASSES, 0.0, 10.0, confident=0.67) is None


def test_fer_analyze_warns_when_the_baseline_stretch_is_not_rest(tmp_path, face_clip,
                                                                  tiny_model, capsys):
    from app.core.cli import main

    # the tiny test model reads every face "happy" with ~99 %: not a resting face
    rc = main([str(face_clip), "--csv", str(tmp_path / "f.csv"), "--model", str(tiny_model),
               "--baseline", "0:0.5", "--uncertain-below", "0.6"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "warning: The stretch 0.0–0.5 s does not look like rest" in err
    assert "read happy with confidence" in err


def test_the_report_shades_the_baseline_stretch_and_repeats_the_warning(tmp_path):
    """The PDF's timeline shades the stretch; its text says when it did not look like rest."""
    from app.core.analysis.baseline import baseline_from
    from app.core.report.timeline_figure import timeline_png

    crying = frames((0.02, 0.9, 0.03, 0.05), n=30)
    b = baseline_from(crying, CLASSES, 0.0, 1.0)
    shaded = timeline_png(crying, CLASSES, [], baseline=(b.start_s, b.end_s), dpi=50)
    plain = timeline_png(crying, CLASSES, [], dpi=50)
    assert shaded != plain
    if shutil.which("pdftotext"):
        from app.core.report.exports import export_report
        from app.core.session.store import SessionMeta

        pdf = tmp_path / "r.pdf"
        export_report(crying, CLASSES, [], SessionMeta("P-1", CLASSES, baseline=b),
                      pdf_path=pdf)
        text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                       text=True, check=True).stdout.split())
        assert "does not look like rest" in text and "read sad with confidence" in text
        assert "shaded" in text
