"""The wheel carries the shipped model and the demo clip, and an installed copy finds them."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("build", reason="the 'build' package is not installed (pip install .[dev])")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(REPO)],
        check=True, capture_output=True, text=True,
    )
    (whl,) = out.glob("fer_companion-*.whl")
    return whl


def test_wheel_holds_model_assets_and_scripts(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    models = [f"app/models/{p.name}" for p in sorted((REPO / "models").glob("*.onnx"))]
    assert "app/models/fer_cnn.onnx" in models  # and fer_cnn_int8.onnx when it is shipped
    for detector in ("blazeface_full.onnx", "blazeface_short.onnx", "face_mesh.onnx"):
        assert f"app/models/{detector}" in models
    for required in (*models, "app/models/metrics.json",
                     "app/models/MEDIAPIPE_PROVENANCE.md", "app/models/MEDIAPIPE_LICENSE.txt",
                     "app/assets/demo.mp4", "app/core/analysis/analyzer.py", "app/ui/main.py"):
        assert required in names, required
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry).decode()
    for script in ("fer-companion = app.ui.main:main", "fer-analyze = app.core.cli:main",
                   "fer-train = training.cli:main"):
        assert script in scripts


def test_installed_copy_finds_the_model_without_a_checkout(wheel, tmp_path):
    # Unpack the wheel's `app` package alone and import it from there, away from the repo.
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site", [n for n in zf.namelist() if n.startswith("app/")])
    code = ("from app.core.paths import default_model_path as d; p = d(); "
            "print(p); assert p.is_file(), p")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""})
    assert res.returncode == 0, res.stderr
    assert str(tmp_path / "site" / "app" / "models" / "fer_cnn.onnx") in res.stdout


def test_installed_copy_loads_the_shipped_int8_model(wheel, tmp_path):
    if not (REPO / "models" / "fer_cnn_int8.onnx").is_file():
        pytest.skip("no int8 model shipped in models/")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site", [n for n in zf.namelist() if n.startswith("app/")])
    code = ("from app.core.analysis.classifier import EmotionClassifier as E; "
            "c = E(device='cpu'); print(c.path); print(c.choice)")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "",
                                         "ORT_DISABLE_TELEMETRY": "1"})
    assert res.returncode == 0, res.stderr
    # the installed copy follows the int8 file's record as the checkout does (classifier.py)
    import onnxruntime as ort

    from app.core.analysis.classifier import int8_rejection

    models = REPO / "models"
    meta = ort.InferenceSession(str(models / "fer_cnn_int8.onnx"),
                                providers=["CPUExecutionProvider"]).get_modelmeta()
    rejection = int8_rejection(meta.custom_metadata_map, models / "fer_cnn.onnx")
    name = "fer_cnn_int8.onnx" if rejection is None else "fer_cnn.onnx"
    assert str(tmp_path / "site" / "app" / "models" / name) in res.stdout
    assert (rejection or "int8 model: same answer") in res.stdout
