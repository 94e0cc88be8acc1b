"""`fer-analyze` at its edges (issue 13.7-9): one line for every bad value, checks made before
the analysis, a full disk that names the file and keeps the CSV whole, private file modes."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

import app.core.report.frames_csv as frames_csv
from app.core.analysis.results import FrameResult
from app.core.errors import CoreError
from app.core.report.frames_csv import FramesCsvWriter, read_frames_csv
from app.core.session.store import SessionStore
from tests.core.test_cli import cli, one_error_line


@pytest.mark.parametrize("args, expect", [
    (["--smooth", "nan"], "--smooth"), (["--smooth", "inf"], "--smooth"),
    (["--smooth", "-1"], "--smooth"), (["--max-frames", "-5"], "--max-frames"),
    (["--max-frames", "0"], "--max-frames"), (["--max-frames", "x"], "--max-frames"),
])
def test_bad_option_values_are_one_line(face_clip, tiny_model, capsys, args, expect):
    assert cli([face_clip, "--model", tiny_model, *args]) == 2
    assert expect in one_error_line(capsys)


def test_empty_source_is_refused(tmp_path, tiny_model, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli(["", "--model", tiny_model]) == 1
    assert "no input" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def folder(tmp_path, face_clip) -> Path:
    d = tmp_path / "clips"
    d.mkdir()
    (d / "a.mp4").write_bytes(face_clip.read_bytes())
    return d


@pytest.mark.parametrize("option", ["--csv", "--pdf"])
def test_folder_outputs_that_cannot_be_folders(tmp_path, folder, tiny_model, capsys, option):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    for target in (afile, afile / "below"):
        assert cli([folder, "--model", tiny_model, option, target]) == 1
        line = one_error_line(capsys)
        assert option in line and str(target) in line
    assert afile.read_text() == "keep me"


def test_unwritable_pdf_is_found_before_the_analysis(tmp_path, face_clip, tiny_model, capsys):
    csv = tmp_path / "out.csv"
    assert cli([face_clip, "--model", tiny_model, "--csv", csv,
                "--pdf", tmp_path / "missing" / "r.pdf"]) == 1
    assert "missing" in one_error_line(capsys)
    assert not csv.exists()  # nothing was analysed


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_full_disk_names_the_file(face_clip, tiny_model, capsys):
    assert cli([face_clip, "--model", tiny_model, "--csv", "/dev/full"]) == 1
    line = one_error_line(capsys)
    assert "/dev/full" in line and "full" in line and "please report" not in line


class _FillingFile:
    """A file on a disk that fills after `room` bytes (the last write is partial)."""

    def __init__(self, path, room: int):
        self._f, self.room = open(path, "wb", buffering=0), room  # noqa: SIM115

    def write(self, data) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = self._f.write(bytes(data[:self.room]))
        self.room -= n
        return n

    def __getattr__(self, name):
        return getattr(self._f, name)


def test_full_disk_leaves_the_csv_on_a_whole_row(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    monkeypatch.setattr(frames_csv, "open_private", lambda p, *a, **k: _FillingFile(p, 3000))
    writer = FramesCsvWriter(path, ["happy", "sad"], flush_every=10)
    with pytest.raises(CoreError) as err:
        for i in range(1000):
            writer.write(FrameResult(i, i / 25, (), None, None))
    assert str(path) in str(err.value) and "disk is full" in str(err.value)
    data = path.read_bytes()
    assert data.endswith(b"\r\n") and 0 < len(data) <= 3000
    table = read_frames_csv(path)
    assert [r.frame for r in table.rows] == list(range(len(table.rows)))
    assert f"frame {table.rows[-1].frame}" in str(err.value)
    assert writer.rows == len(table.rows)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_are_private_whatever_the_umask(tmp_path, face_clip, tiny_model, folder):
    old = os.umask(0o022)
    try:
        existing = tmp_path / "old.csv"
        existing.write_text("x")
        os.chmod(existing, 0o644)
        notes = tmp_path / "notes.csv"
        notes.write_text("time_s,text,perceived\n0.5,smiles,happy\n")
        assert cli([face_clip, "--model", tiny_model, "--csv", existing, "--notes", notes]) == 0
        assert _mode(existing) == 0o600
        assert _mode(tmp_path / "old.notes.csv") == 0o600
        out = tmp_path / "new" / "deeper"
        assert cli([folder, "--model", tiny_model, "--csv", out]) == 0
        assert _mode(out) == _mode(out.parent) == 0o700
        assert _mode(out / "a.mp4.frames.csv") == 0o600
    finally:
        os.umask(old)


def test_data_folder_and_its_parents_are_private(tmp_path, monkeypatch):
    old = os.umask(0o022)
    try:
        existing = tmp_path / "data"
        existing.mkdir(mode=0o755)
        SessionStore(existing).close()
        assert _mode(existing) == 0o700
        assert _mode(existing / "sessions.sqlite3") == 0o600
        fresh = tmp_path / "a" / "b" / "data"
        monkeypatch.setenv("FER_COMPANION_DATA", str(fresh))
        SessionStore().close()
        assert _mode(fresh) == _mode(fresh.parent) == _mode(fresh.parent.parent) == 0o700
    finally:
        os.umask(old)
