"""State files that a session cut off at any instant leaves whole or absent, never torn.

Every file `--resume` reads is written to a temporary file in the same folder and renamed over
the old one (atomic on POSIX and Windows); a file that is unreadable anyway (written by an
older version, damaged) is reported in one log line and treated as absent.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("fer-train")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    write_bytes(path, json.dumps(obj, indent=2).encode())


def write_pickle(path: Path, obj: Any) -> None:
    write_bytes(path, pickle.dumps(obj))


def _set_aside(path: Path, exc: Exception) -> None:
    aside = path.with_name(path.name + ".unreadable")
    os.replace(path, aside)
    log.warning("%s is unreadable (%s); set aside as %s and ignored", path, exc.__class__.__name__,
                aside.name)


def read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None when it is absent or unreadable (then set aside)."""
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        _set_aside(path, exc)
        return None


def read_pickle(path: Path) -> Any | None:
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError) as exc:
        _set_aside(path, exc)
        return None
