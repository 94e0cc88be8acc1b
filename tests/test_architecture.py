"""The layering of DESIGN.md: app/core imports no Qt, app imports no TensorFlow or training."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install .[dev])")
    res = subprocess.run([exe], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:]
    assert "3 kept, 0 broken" in res.stdout


def test_app_runs_without_tensorflow():
    # A fresh interpreter that cannot import tensorflow/keras still loads the whole app.
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "import app.core.cli, app.core.analysis.analyzer, app.core.report.pdf, app.ui.main\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
