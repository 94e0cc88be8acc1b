"""Where the shipped model lives.

The wheel ships models inside the package (`app/models/*.onnx`, see package-data in
pyproject); a source checkout has them at `<repo>/models/`. One function decides, so the CLI,
the UI and the benchmarks load the same default.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL_NAME = "fer_cnn.onnx"


def default_model_path() -> Path:
    """Path of the default ONNX model.

    Looks for `app/models/*.onnx` inside the installed package first (preferring
    `fer_cnn.onnx`), then `<repo>/models/fer_cnn.onnx` relative to this package. When neither
    exists the repo path is returned anyway; loading it raises a clear `ModelError`.
    """
    package_models = Path(__file__).resolve().parents[1] / "models"
    preferred = package_models / DEFAULT_MODEL_NAME
    if preferred.is_file():
        return preferred
    found = sorted(package_models.glob("*.onnx")) if package_models.is_dir() else []
    if found:
        return found[0]
    return Path(__file__).resolve().parents[2] / "models" / DEFAULT_MODEL_NAME
