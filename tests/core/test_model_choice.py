"""The default model: the int8 file beside the float one, only when its record says it is fit."""

import hashlib
from pathlib import Path

import pytest

from app.core.analysis import classifier as clf_module
from app.core.analysis.classifier import EmotionClassifier, int8_rejection, runtime_version
from app.core.errors import ModelError

onnx = pytest.importorskip("onnx")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fit(float_path: Path, **meta: str) -> dict[str, str]:
    """A record that passes every rule: made from `float_path`, 99.6 % agreement on
    camera-like faces, 0.29 point lost on PublicTest, measured under this runtime."""
    return {"float_test_accuracy": "0.7809", "test_accuracy": "0.7780",
            "shift_agreement": "0.9960", "shift_images": "5000", "runtime": runtime_version(),
            "quantized_from_sha256": sha(float_path), **meta}


def int8_copy(float_path: Path, **meta: str) -> Path:
    """Stands in for a quantized model: the choice reads only the int8 file's metadata."""
    model = onnx.load(str(float_path))
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    out = float_path.with_name(f"{float_path.stem}_int8.onnx")
    onnx.save(model, str(out))
    return out


@pytest.fixture
def shipped(tmp_path, model_factory, monkeypatch) -> Path:
    """A float model where the app looks for the shipped one."""
    float_path = model_factory(tmp_path / "fer_cnn.onnx")
    monkeypatch.setattr(clf_module, "default_model_path", lambda: float_path)
    return float_path


def test_no_int8_file_loads_the_float_model(shipped):
    clf = EmotionClassifier(device="cpu")
    assert clf.path == shipped and clf.choice == "float model"


def test_int8_that_passes_every_rule_is_the_default(shipped):
    int8 = int8_copy(shipped, **fit(shipped))
    clf = EmotionClassifier(device="cpu")
    assert clf.path == int8
    assert clf.choice == "int8 model: same answer as the float model on 99.6 % of camera-like faces"
    assert clf.classes == ("happy", "sad", "surprise", "neutral")
    # --model still loads any file, the float one included
    assert EmotionClassifier(shipped, device="cpu").path == shipped


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        ({"test_accuracy": "0.7750"}, "loses 0.59 point"),
        ({"float_test_accuracy": ""}, "accuracy against the float model is not recorded"),
        ({"test_accuracy": "n/a"}, "not recorded"),
        ({"shift_agreement": "0.9949"}, "on only 99.5 % of camera-like faces (at least 99.5 %"),
        ({"shift_agreement": "0.9000"}, "on only 90.0 % of camera-like faces"),
        ({"shift_agreement": ""}, "not measured on camera-like faces"),
        ({"runtime": "onnxruntime 0.0.1"}, "measured under onnxruntime 0.0.1, and onnxruntime"),
        ({"quantized_from_sha256": "0" * 64}, "made from another model than fer_cnn.onnx"),
    ],
)
def test_unfit_int8_falls_back_to_the_float_model(shipped, meta, reason):
    int8_copy(shipped, **fit(shipped, **meta))
    clf = EmotionClassifier(device="cpu")
    assert clf.path == shipped
    assert clf.choice.startswith("float model: int8 not used, ") and reason in clf.choice


def test_fast_takes_a_less_faithful_int8_model_but_never_another_models(shipped):
    """fer-analyze --fast (archives): int8 even where the live gate refuses it, saying so."""
    int8 = int8_copy(shipped, **fit(shipped, shift_agreement="0.9000"))
    clf = EmotionClassifier(device="cpu", fast=True)
    assert clf.path == int8 and clf.choice.startswith("int8 model (--fast), less faithful")
    assert "90.0 % of camera-like faces" in clf.choice
    assert EmotionClassifier(device="cpu").path == shipped  # the app stays with float
    int8_copy(shipped, **fit(shipped, quantized_from_sha256="0" * 64))
    assert EmotionClassifier(device="cpu", fast=True).path == shipped


def test_rule_is_agreement_then_at_most_0_3_point(tmp_path):
    f = tmp_path / "m.onnx"
    f.write_bytes(b"float model")
    ok = fit(f, float_test_accuracy="0.8000", test_accuracy="0.7970")
    assert int8_rejection(ok, f) is None
    assert int8_rejection({**ok, "test_accuracy": "0.8100"}, f) is None  # int8 better: fine
    assert "loses 0.31 point" in int8_rejection({**ok, "test_accuracy": "0.7969"}, f)
    assert int8_rejection({**ok, "shift_agreement": "0.9950"}, f) is None


def test_corrupt_int8_file_is_one_clear_error(shipped):
    int8 = shipped.with_name("fer_cnn_int8.onnx")
    int8.write_bytes(b"\x08\x07 not an onnx model")
    with pytest.raises(ModelError) as info:
        EmotionClassifier(device="cpu")
    message = str(info.value)
    assert "\n" not in message and str(int8) in message
    assert "not a loadable ONNX model" in message and "pass --model" in message


QUANTIZED = {"quantization": "int8 static QDQ, uint8 activations", "quantized_from": "fer_cnn.onnx"}


def test_the_int8_model_is_named_as_such_wherever_the_version_shows(shipped, tmp_path, face_clip,
                                                                   capsys):
    """The quantizer copies the float model's `version`: sessions, the report and the summary
    add the precision the loaded file's own metadata gives."""
    from app.core.cli import main
    from app.core.session.types import model_version
    from tests.core.test_report_pdf import pdftotext

    model = onnx.load(str(shipped))
    model.metadata_props.add(key="version", value="fer_cnn-2026-11-24")
    onnx.save(model, str(shipped))
    int8 = int8_copy(shipped, **fit(shipped), **QUANTIZED)
    clf = EmotionClassifier(device="cpu")
    assert clf.path == int8 and model_version(clf) == "fer_cnn-2026-11-24 (int8)"
    assert model_version(EmotionClassifier(shipped, device="cpu")) == "fer_cnn-2026-11-24"
    assert main([str(face_clip), "--model", str(int8), "--csv", str(tmp_path / "o.csv"),
                 "--pdf", str(tmp_path / "r.pdf"), "--device", "cpu"]) == 0
    expect = "fer_cnn_int8.onnx, version fer_cnn-2026-11-24 (int8)"
    assert expect in capsys.readouterr().out
    pdf = " ".join(pdftotext(tmp_path / "r.pdf").split())
    assert expect in pdf and "(chosen with --model)" in pdf  # which model ran, and why


def test_fer_analyze_fast_says_it_runs_the_less_faithful_int8_model(shipped, tmp_path, face_clip,
                                                                    capsys):
    from app.core.cli import main

    int8_copy(shipped, **fit(shipped, shift_agreement="0.9000"))
    args = [str(face_clip), "--csv", str(tmp_path / "o.csv"), "--device", "cpu"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "fer_cnn.onnx" in out and "float model: int8 not used" in out
    assert main([*args, "--fast"]) == 0
    out = capsys.readouterr().out
    assert "fer_cnn_int8.onnx" in out and "int8 model (--fast), less faithful" in out
