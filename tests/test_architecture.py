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
    # cluster.py below cli.py: the Ray side shares jobs.py with the local run, never cli.py
    assert "jobs -> cluster -> cli KEPT" in res.stdout


def test_app_runs_without_tensorflow():
    # A fresh interpreter that cannot import tensorflow/keras still loads the whole app.
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "import app.core.cli, app.core.analysis.analyzer, app.core.report.pdf, app.ui.main\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def _private_uses(path: Path) -> list[str]:
    """`from app.x import _name` and `module._name` on an imported app module, in one file."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} imports {node.module}.{alias.name}")
                modules.add(alias.asname or alias.name)  # maybe a module: checked below
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name.split(".")[0] for a in node.names
                           if a.name.startswith("app"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            found.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    # What two modules share is public (e.g. app/core/jobs.py for cli.py and cluster.py).
    found = [u for f in sorted((REPO / "app").rglob("*.py")) for u in _private_uses(f)]
    assert found == []
