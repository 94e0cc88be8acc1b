"""FrameResult and the frames CSV (DESIGN.md format), written streaming and read back."""

import dataclasses

import pytest

from app.core.analysis.results import Face, FrameResult
from app.core.errors import CoreError
from app.core.report.frames_csv import FramesCsvWriter, header, read_frames_csv

CLASSES = ("happy", "sad", "surprise", "neutral")


def _with_face(index: int) -> FrameResult:
    face = Face((10, 20, 30, 30), 1, (0.7, 0.1, 0.1, 0.1), "happy", is_patient=True)
    return FrameResult(index, index / 25, (face,), "happy", face.probs)


def test_frame_result_is_frozen_and_finds_patient():
    r = _with_face(3)
    assert r.patient is r.faces[0] and r.has_face
    assert r.faces[0].contains(15, 25) and not r.faces[0].contains(45, 25)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.index = 4  # type: ignore[misc]
    assert FrameResult(0, 0.0).patient is None


def test_header_follows_model_classes():
    assert header(CLASSES) == ["frame", "time_s", "faces", "label",
                               "p_happy", "p_sad", "p_surprise", "p_neutral", "uncertain",
                               "yaw_deg", "state"]
    assert header(("a", "b"))[-5:] == ["p_a", "p_b", "uncertain", "yaw_deg", "state"]
    assert header(("a", "b"), raw=True)[-4:] == ["raw_p_a", "raw_p_b", "yaw_deg", "state"]


def test_round_trip_with_empty_cells(tmp_path):
    path = tmp_path / "f.csv"
    with FramesCsvWriter(path, CLASSES) as w:
        w.write(_with_face(0))
        w.write(FrameResult(1, 0.04))
    text = path.read_text().splitlines()
    assert text[0] == ("frame,time_s,faces,label,p_happy,p_sad,p_surprise,p_neutral,uncertain,"
                       "yaw_deg,state")
    assert text[1].endswith(",0,,classified") and text[2] == "1,0.040,0,,,,,,,,no_face"
    table = read_frames_csv(path)
    assert table.classes == CLASSES
    assert [r.frame for r in table.rows] == [0, 1]
    assert table.rows[0].label == "happy" and table.rows[0].probs == (0.7, 0.1, 0.1, 0.1)
    assert table.rows[1].faces == 0 and table.rows[1].label is None and table.rows[1].probs is None


def test_rows_are_flushed_before_close(tmp_path):
    path = tmp_path / "f.csv"
    w = FramesCsvWriter(path, CLASSES, flush_every=2)
    for i in range(4):
        w.write(_with_face(i))
    assert len(read_frames_csv(path).rows) == 4  # readable while still open (crash-safe)
    w.close()


def test_reader_rejects_other_files(tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("time_s,text\n1,hello\n")
    with pytest.raises(CoreError, match="not a frames CSV"):
        read_frames_csv(bad)


def test_writer_reports_unwritable_path(tmp_path):
    with pytest.raises(CoreError, match="cannot write"):
        FramesCsvWriter(tmp_path / "missing-dir" / "f.csv", CLASSES)


def test_uncertain_flag_and_raw_columns_come_after_the_contract(tmp_path):
    from app.core.analysis.uncertainty import Threshold

    path = tmp_path / "f.csv"
    weak = FrameResult(1, 0.04, (), "happy", (0.4, 0.3, 0.2, 0.1))
    with FramesCsvWriter(path, CLASSES, threshold=Threshold(0.5, "test"), raw=True) as w:
        w.write(_with_face(0), (0.5, 0.3, 0.1, 0.1))
        w.write(weak, (0.4, 0.3, 0.2, 0.1))
        w.write(FrameResult(2, 0.08))
    table = read_frames_csv(path)
    assert table.classes == CLASSES
    assert [r.uncertain for r in table.rows] == [False, True, None]
    assert table.rows[0].raw == (0.5, 0.3, 0.1, 0.1) and table.rows[2].raw is None
    assert table.rows[1].label == "happy"  # the label stays; the flag says not to trust it
