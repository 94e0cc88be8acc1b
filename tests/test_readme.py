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


def test_readme_is_a_users_document_and_its_links_resolve():
    """Issue 27.7: what a clinician or maintainer opens first; the laboratory notebook of model
    experiments, benchmarks and cluster figures lives in docs/ pages it links."""
    import re

    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300  # about a third of the 710 lines it had grown to
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    for part in ("Quick start", "Using the app", "Privacy", "File formats", "The model",
                 "Read more"):
        assert any(part in h for h in heads), part
    assert "make run" in text and "make test" in text
    links = set(re.findall(r"\((docs/[^)#\s]+)", text)) | set(re.findall(r"`(docs/[^`]+)`", text))
    for page in ("docs/model.md", "docs/benchmarks.md", "docs/cluster.md"):
        assert page in links, page
    for link in links:
        assert (README.parent / link).is_file(), link
