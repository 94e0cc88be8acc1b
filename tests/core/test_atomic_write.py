"""The one way exports are written (report/atomic.py): whole, or not at all."""

from __future__ import annotations

import errno

import pytest

from app.core.report.atomic import write_atomically
from app.core.report.data import ExportError


def test_writes_text_and_bytes(tmp_path):
    assert write_atomically(tmp_path / "a.csv", "CSV", lambda f: f.write("é,1\n"),
                            text=True).read_text(encoding="utf-8") == "é,1\n"
    assert write_atomically(tmp_path / "a.pdf", "PDF", lambda f: f.write(b"%PDF")
                            ).read_bytes() == b"%PDF"


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    old = tmp_path / "course.csv"
    old.write_text("the export of yesterday", encoding="utf-8")

    def disk_full(f):
        f.write("half a ")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ExportError) as err:
        write_atomically(old, "patient course CSV", disk_full, text=True)
    assert str(err.value) == f"cannot write the patient course CSV {old}: No space left on device"
    assert old.read_text(encoding="utf-8") == "the export of yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.csv"]
