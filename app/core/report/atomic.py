"""Writing an export whole or not at all (the PDF report, the patient course's PDF and CSV).

    write_atomically(path, "PDF report", lambda f: f.write(pdf))
    write_atomically(path, "patient course CSV", lambda f: csv.writer(f).writerows(rows), text=True)

`write(f)` fills a temporary file beside `path` (binary, or UTF-8 text with `newline=""` as the
csv module wants), which then replaces `path` in one step: a reader never sees half a file and
a failed write leaves an older file as it was. An OSError becomes one line for the user,
`ExportError("cannot write the <what> <path>: <reason>")`, and the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from app.core.report.data import ExportError


def write_atomically(path: str | Path, what: str, write: Callable[[IO[Any]], object], *,
                     text: bool = False) -> Path:
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with (os.fdopen(fd, "w", newline="", encoding="utf-8") if text
              else os.fdopen(fd, "wb")) as f:
            write(f)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise ExportError(f"cannot write the {what} {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:  # failed (or interrupted) before the rename
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path
