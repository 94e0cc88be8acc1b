"""The model in models/ meets the model-file contract of DESIGN.md and its card matches it."""

import json
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

MODELS = Path(__file__).resolve().parents[1] / "models"


@pytest.fixture(scope="module")
def session():
    path = MODELS / "fer_cnn.onnx"
    assert path.exists(), "the shipped model models/fer_cnn.onnx is missing"
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_contract(session):
    meta = session.get_modelmeta().custom_metadata_map
    classes = meta["classes"].split(",")
    assert classes == ["happy", "sad", "surprise", "neutral"]
    (inp,) = session.get_inputs()
    assert inp.type == "tensor(float)" and inp.shape[1:] == [48, 48, 1]
    assert not isinstance(inp.shape[0], int)  # N is dynamic
    for n in (1, 7):
        x = np.random.default_rng(n).integers(0, 256, (n, 48, 48, 1)).astype(np.float32)
        (p,) = session.run(None, {inp.name: x})
        assert p.dtype == np.float32 and p.shape == (n, len(classes))
        assert np.all(p >= 0) and np.allclose(p.sum(1), 1.0, atol=1e-5)


def test_card_and_metrics_describe_this_model(session):
    metrics = json.loads((MODELS / "metrics.json").read_text())
    meta = session.get_modelmeta().custom_metadata_map
    assert metrics["classes"] == meta["classes"].split(",")
    assert f"{float(meta['test_accuracy']):.4f}" == f"{metrics['test']['accuracy']:.4f}"
    card = (MODELS / "MODEL_CARD.md").read_text()
    assert f"{100 * metrics['test']['accuracy']:.1f} %" in card
    assert (MODELS / "confusion_matrix.png").stat().st_size > 1000


def test_shipped_int8_model_keeps_the_contract_and_the_app_follows_its_record(session):
    """models/fer_cnn_int8.onnx, when shipped: same contract and classes as fer_cnn.onnx, made
    from it, its camera-like-face record present; and the app loads it exactly when that
    record passes the rule (int8_rejection), else the float model (re-run
    `python -m training.quantize models/fer_cnn.onnx` after changing the model or runtime)."""
    int8 = MODELS / "fer_cnn_int8.onnx"
    if not int8.exists():
        pytest.skip("no int8 model shipped")
    from app.core.analysis.classifier import EmotionClassifier, int8_rejection

    q = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    meta, fmeta = q.get_modelmeta().custom_metadata_map, session.get_modelmeta().custom_metadata_map
    assert (meta["classes"], meta["version"]) == (fmeta["classes"], fmeta["version"])
    assert 0 < float(meta["shift_agreement"]) <= 1 and int(meta["shift_images"]) >= 1000
    rejection = int8_rejection(meta, MODELS / "fer_cnn.onnx")
    assert rejection is None or "made from another model" not in rejection
    clf = EmotionClassifier(device="cpu")
    assert clf.path.name == ("fer_cnn_int8.onnx" if rejection is None else "fer_cnn.onnx")
    assert rejection is None or rejection in clf.choice
    x = np.random.default_rng(3).integers(0, 256, (16, 48, 48, 1)).astype(np.float32)
    name = session.get_inputs()[0].name
    pf, pq = session.run(None, {name: x})[0], q.run(None, {name: x})[0]
    assert pq.shape == pf.shape and np.allclose(pq.sum(1), 1, atol=1e-5)
