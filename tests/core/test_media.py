"""The analysis on the real media in ../shared/media (skipped where absent)."""

import pytest

from app.core.analysis.pipeline import analyze_source
from app.core.cli import main
from app.core.report.frames_csv import read_frames_csv

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def analyzer(analyzer_factory):
    return analyzer_factory()


@pytest.fixture(scope="module")
def one_face_run(media, tiny_model, tmp_path_factory):
    """fer-analyze on the one-face clip, once for the module: (exit code, CSV table)."""
    out = tmp_path_factory.mktemp("media") / "one_face.csv"
    rc = main([str(media / "WolfgangLanger_Pexels.mp4"), "--csv", str(out),
               "--model", str(tiny_model), "--device", "cpu"])
    return rc, read_frames_csv(out)


def test_one_face_clip_has_the_face_detected_and_labelled_in_every_frame(one_face_run):
    rc, table = one_face_run
    assert rc == 0
    assert [r.frame for r in table.rows if r.faces != 1] == []  # every frame, nobody else
    assert [r.frame for r in table.rows if r.label is None] == []


def test_csv_has_one_row_per_frame_in_order(one_face_run):
    _, table = one_face_run
    assert [r.frame for r in table.rows] == list(range(472))
    times = [r.time_s for r in table.rows]
    assert times[0] == 0.0 and all(b > a for a, b in zip(times, times[1:], strict=False))
    assert all((r.label is None) == (r.probs is None) for r in table.rows)


def test_no_face_clip_has_no_face(media, analyzer):
    results = list(analyze_source(media / "no_face.mp4", analyzer))
    assert [r.index for r in results if r.faces] == []  # not even a held box


def test_face_then_no_face(media, analyzer):
    """The person is seen in frames 0-71; frame 72 cuts to black, then to a sky."""
    results = list(analyze_source(media / "face_noface.mov", analyzer))
    faces = [r.has_face for r in results]
    assert sum(faces[:72]) / 72 >= 0.97
    assert [i for i, f in enumerate(faces) if f and i >= 72] == []  # none after it has left
    assert all(r.label is None for r in results[72:])  # a held box is never classified


def test_group_photo_finds_the_five_faces(media, analyzer):
    (r,) = list(analyze_source(media / "multi_face.jpg", analyzer))
    assert len(r.faces) == 5 and r.n_detected == 5
    assert len({f.track_id for f in r.faces}) == len(r.faces)
    assert sum(f.is_patient for f in r.faces) == 1


def test_truncated_mp4_keeps_frames_before_the_damage(media, tiny_model, tmp_path, capsys):
    data = (media / "WolfgangLanger_Pexels.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "cut.csv"
    assert main([str(cut), "--csv", str(out), "--model", str(tiny_model)]) != 0
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and "truncated or corrupt" in err and "Traceback" not in err
    rows = read_frames_csv(out).rows
    assert 100 < len(rows) < 472 and rows[-1].frame == len(rows) - 1

