"""`fer-analyze` end to end: CSV, summary, and one clear error line for every bad input."""

import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.core.cli import main
from app.core.report.frames_csv import read_frames_csv


def cli(args):
    try:
        return main([str(a) for a in args])
    except SystemExit as exc:  # argparse usage errors
        return exc.code


def one_error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fer-analyze: error: "), err
    return lines[0]


def test_video_to_default_csv_with_summary(tmp_path, face_clip, tiny_model, capsys):
    clip = shutil.copy(face_clip, tmp_path / "session.mp4")
    assert cli([clip, "--model", tiny_model, "--device", "cpu", "--smooth", "0.5"]) == 0
    table = read_frames_csv(tmp_path / "session.mp4.frames.csv")
    assert [r.frame for r in table.rows] == list(range(45))
    assert table.classes == ("happy", "sad", "surprise", "neutral")
    out, err = capsys.readouterr()
    assert "45, " in out and "frames/s" in out and "face found" in out and "CPU" in out
    assert "Traceback" not in err


def test_folder_writes_one_csv_per_file(tmp_path, face_clip, tiny_model, make_scene):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(face_clip, src / "a.mp4")
    cv2.imwrite(str(src / "b.png"), make_scene([(100, 80, 150)]))
    (src / "readme.txt").write_text("skip me")
    assert cli([src, "--csv", tmp_path / "out", "--model", tiny_model]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a.mp4.frames.csv", "b.png.frames.csv"]
    (row,) = read_frames_csv(tmp_path / "out" / "b.png.frames.csv").rows
    assert row.faces == 1 and row.label


def _truncated_avi(tmp_path, make_scene):
    path = tmp_path / "cut.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (640, 360))
    for i in range(40):
        writer.write(make_scene([(100 + i, 80, 150)]))
    writer.release()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    ("make_input", "expect"),
    [
        (lambda d, s: d / "absent.mp4", "no such file"),
        (lambda d, s: _text(d / "fake.mp4"), "cannot open as a video"),
        (lambda d, s: "99", "camera 99 cannot be opened"),
        (lambda d, s: "rtsp://127.0.0.1:9/x", "cannot open the stream"),
        (lambda d, s: _empty_dir(d / "empty"), "no video or image files"),
    ],
)
def test_bad_inputs(tmp_path, tiny_model, make_scene, capsys, make_input, expect):
    rc = cli([make_input(tmp_path, make_scene), "--csv", tmp_path / "o.csv",
              "--model", tiny_model])
    assert rc != 0
    assert expect in one_error_line(capsys)


def _text(path):
    path.write_text("this is not a video\n" * 100)
    return path


def _empty_dir(path):
    path.mkdir()
    return path


def test_truncated_file_keeps_rows_so_far(tmp_path, tiny_model, make_scene, capsys):
    cut = _truncated_avi(tmp_path, make_scene)
    out = tmp_path / "cut.csv"
    assert cli([cut, "--csv", out, "--model", tiny_model]) != 0
    line = one_error_line(capsys)
    assert "truncated or corrupt" in line and "rows kept" in line
    rows = read_frames_csv(out).rows
    assert 5 <= len(rows) < 40 and [r.frame for r in rows] == list(range(len(rows)))


@pytest.mark.parametrize(
    ("model_kwargs", "expect"),
    [({"classes": None}, "no 'classes'"), ({"side": 32}, "expected float32"),
     ({"k": 5}, "does not match 4 classes")],
)
def test_contract_breaking_model(tmp_path, face_clip, model_factory, capsys, model_kwargs, expect):
    bad = model_factory(tmp_path / "bad.onnx", **model_kwargs)
    assert cli([face_clip, "--csv", tmp_path / "o.csv", "--model", bad]) != 0
    assert expect in one_error_line(capsys)


def test_not_an_onnx_file_and_missing_model(tmp_path, face_clip, capsys):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(np.random.default_rng(0).bytes(300))
    assert cli([face_clip, "--csv", tmp_path / "o.csv", "--model", junk]) != 0
    assert "not a loadable ONNX model" in one_error_line(capsys)
    assert cli([face_clip, "--csv", tmp_path / "o.csv", "--model", tmp_path / "no.onnx"]) != 0
    assert "model not found" in one_error_line(capsys)


def test_usage_errors_exit_nonzero(face_clip, tiny_model, capsys):
    assert cli([face_clip, "--device", "tpu"]) != 0
    assert cli([face_clip, "--model", tiny_model, "--smooth", "-1"]) != 0
    assert "Traceback" not in "".join(capsys.readouterr())


def test_import_runs_nothing():
    code = (
        "import logging, sys\n"
        "import app.core.cli, app.core.analysis.analyzer, app.core.analysis.pipeline\n"
        "import app.core.report.frames_csv\n"
        "assert not logging.getLogger().handlers, 'logging configured at import'\n"
        "bad = {'PySide6', 'tensorflow', 'keras', 'training'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    repo = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=repo)
