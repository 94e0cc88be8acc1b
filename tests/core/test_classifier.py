"""The ONNX classifier: contract checks, provider report, default model path."""

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from app.core import default_model_path
from app.core.analysis.classifier import EmotionClassifier
from app.core.errors import DeviceError, ModelError


def test_valid_model_loads_and_predicts(tiny_model):
    clf = EmotionClassifier(tiny_model, device="cpu")
    assert clf.classes == ("happy", "sad", "surprise", "neutral")
    assert clf.provider.name == "CPUExecutionProvider" and "cpu" in str(clf.provider)
    out = clf.predict(np.random.default_rng(0).uniform(0, 255, (3, 48, 48, 1)).astype(np.float32))
    assert out.shape == (3, 4) and np.allclose(out.sum(1), 1, atol=1e-5)
    assert clf.predict(np.zeros((0, 48, 48, 1), np.float32)).shape == (0, 4)


def test_auto_device_reports_one_line_reason(tiny_model):
    info = EmotionClassifier(tiny_model, device="auto").provider
    assert info.name in ort.get_available_providers()
    assert "\n" not in str(info) and info.reason


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classes": None}, "no 'classes'"),
        ({"side": 64}, "expected float32 \\[N,48,48,1\\]"),
        ({"k": 3}, "does not match 4 classes"),
        ({"softmax": False}, "not softmax"),
    ],
)
def test_contract_breaking_models_raise(tmp_path, model_factory, kwargs, message):
    path = model_factory(tmp_path / "bad.onnx", **kwargs)
    with pytest.raises(ModelError, match=message):
        EmotionClassifier(path, device="cpu")


def test_not_onnx_and_missing_files_raise(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_text("not a model")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        EmotionClassifier(junk, device="cpu")
    with pytest.raises(ModelError, match="model not found"):
        EmotionClassifier(tmp_path / "absent.onnx")


def test_device_errors(tiny_model, capfd):
    with pytest.raises(DeviceError, match="unknown device"):
        EmotionClassifier(tiny_model, device="tpu")
    # --device gpu: a GPU session, or (no usable GPU, even where onnxruntime-gpu lists CUDA
    # and TensorRT) one clear error; never onnxruntime's multi-line "EP Error" banner.
    try:
        clf = EmotionClassifier(tiny_model, device="gpu")
    except DeviceError as exc:
        assert "no GPU provider" in str(exc)
    else:
        assert clf.provider.is_gpu
    out, err = capfd.readouterr()
    assert "EP Error" not in out + err


def test_default_model_path_points_into_models():
    path = default_model_path()
    assert path.suffix == ".onnx"
    repo_default = Path(__file__).resolve().parents[2] / "models" / "fer_cnn.onnx"
    assert path == repo_default or path.parent.name == "models"
