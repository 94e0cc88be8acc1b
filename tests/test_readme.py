"""The README's frames CSV header is the one the code writes (app/core/report/frames_csv.py)."""

from pathlib import Path

from app.core.analysis.classifier import DEFAULT_CLASSES
from app.core.report.frames_csv import header

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_frames_csv_column():
    [line] = [s for s in README.read_text(encoding="utf-8").splitlines()
              if s.startswith("frame,time_s,")]
    plain, _, rest = line.partition("[,")
    optional, _, tail = rest.partition("]")
    assert (plain + tail).split(",") == header(DEFAULT_CLASSES)
    assert (plain + "," + optional + tail).split(",") == header(DEFAULT_CLASSES, raw=True)
