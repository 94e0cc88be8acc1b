"""Check that splitting the README into docs/ pages lost nothing.

    python scripts/check_docs_split.py OLD_README.md [README.md docs/*.md]
    git show efdff3a:README.md > /tmp/old.md && python scripts/check_docs_split.py /tmp/old.md

Every paragraph of the old README (text joined over its lines, whitespace collapsed), every
table row and every line of a code block must appear in one of the new files. Prints each
piece that does not, with its line number, and exits 1 if there is any; pieces that were
rewritten on purpose show up here too, to be read against their new wording.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def pieces(text: str) -> list[tuple[int, str]]:
    """(first line number, piece) of `text`: paragraphs, table rows, code lines."""
    out: list[tuple[int, str]] = []
    para: list[str] = []
    start = 0
    code = False

    def flush() -> None:
        if para:
            out.append((start, " ".join(para)))
            para.clear()

    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code = not code
            continue
        if code or stripped.startswith("|") or stripped.startswith("#"):
            flush()
            if stripped:
                out.append((n, stripped))
            continue
        if not stripped:
            flush()
            continue
        if not para:
            start = n
        para.append(stripped)
    flush()
    return out


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    old = Path(argv[0])
    new = [Path(p) for p in argv[1:]] or [Path("README.md"), *sorted(Path("docs").glob("*.md"))]
    haystack = norm(" ".join(p.read_text(encoding="utf-8") for p in new))
    lines = {norm(line) for p in new for line in p.read_text(encoding="utf-8").splitlines()}
    missing = [(n, piece) for n, piece in pieces(old.read_text(encoding="utf-8"))
               if norm(piece) not in haystack and norm(piece) not in lines]
    for n, piece in missing:
        print(f"{old}:{n}: {piece[:160]}{'…' if len(piece) > 160 else ''}")
    total = len(pieces(old.read_text(encoding="utf-8")))
    print(f"{total - len(missing)} of {total} pieces of {old} found in "
          f"{', '.join(str(p) for p in new)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
