"""Where the shipped model lives, and how files with patient data are created (0600/0700).

The wheel ships models inside the package (`app/models/*.onnx`, see package-data in
pyproject); a source checkout has them at `<repo>/models/`. One function decides, so the CLI,
the UI and the benchmarks load the same default. Beside the float model may lie its int8
version (`fer_cnn_int8.onnx`, made by `python -m training.quantize`); whether it is used is
decided from its metadata in `app.core.analysis.classifier`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DEFAULT_MODEL_NAME = "fer_cnn.onnx"
INT8_SUFFIX = "_int8"


def default_model_path() -> Path:
    """Path of the default ONNX model.

    Looks for `app/models/*.onnx` inside the installed package first (preferring
    `fer_cnn.onnx`; the face detectors `blazeface_*.onnx` beside it are never the classifier),
    then `<repo>/models/fer_cnn.onnx` relative to this package. When neither
    exists the repo path is returned anyway; loading it raises a clear `ModelError`.
    """
    package_models = Path(__file__).resolve().parents[1] / "models"
    preferred = package_models / DEFAULT_MODEL_NAME
    if preferred.is_file():
        return preferred
    found = sorted(p for p in package_models.glob("*.onnx")
                   if not p.name.startswith("blazeface_")) if package_models.is_dir() else []
    if found:
        return found[0]
    return Path(__file__).resolve().parents[2] / "models" / DEFAULT_MODEL_NAME


def int8_model_path(float_path: Path) -> Path:
    """Where the int8 version of `float_path` lies: `fer_cnn.onnx` -> `fer_cnn_int8.onnx`."""
    return float_path.with_name(f"{float_path.stem}{INT8_SUFFIX}{float_path.suffix}")


# Patient data is private: files 0600, folders 0700, whatever the umask (issue 13.9).
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


def make_private_dir(path: str | Path) -> Path:
    """Create `path` and any missing parent folders 0700 (Path.mkdir gives parents the
    umask's mode). Folders that already exist above `path` are left as they are."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        p.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(p, PRIVATE_DIR)
    if not path.is_dir():
        raise NotADirectoryError(20, "not a folder", str(path))
    return path


def open_private(path: str | Path, mode: str = "w", **kwargs):
    """`open(path, mode)` for writing, with the file 0600 even when it existed (a regular
    file only: /dev/full or a pipe keep their modes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise
