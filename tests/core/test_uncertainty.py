"""The uncertainty threshold: read from the model's calibration, in a documented order."""

from __future__ import annotations

import json

from app.core.analysis.uncertainty import LEVEL, OFF, from_table, model_sha256, threshold_for


def table(accuracies):
    """Ten equal-width bins over the top probability, 100 faces each."""
    return [{"lo": i / 10, "hi": (i + 1) / 10, "n": 100, "accuracy": a}
            for i, a in enumerate(accuracies)]


def test_threshold_is_where_every_bin_above_is_right_two_times_in_three():
    acc = [0, 0, 0.3, 0.45, 0.55, 0.62, 0.7, 0.8, 0.9, 0.97]
    assert from_table(table(acc)) == 0.6
    dip = acc[:7] + [0.6] + acc[8:]  # a bad bin higher up raises the threshold
    assert from_table(table(dip)) == 0.8
    thin = table(acc)
    thin[7]["n"], thin[7]["accuracy"] = 3, 0.0  # three faces are no evidence
    assert from_table(thin) == 0.6


def test_sources_in_order(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"model bytes")
    metrics = {"calibration": {"reliability": {"original": table([0] * 4 + [0.5] * 3 + [0.9] * 3),
                                               "consensus": table([1.0] * 10)}}}
    assert threshold_for(model, metrics).value == 0.7  # the original labels' table
    assert threshold_for(model, {"calibration": {"ece_original": 0.02}}).value == LEVEL
    assert threshold_for(model, {"calibration": {"ece_original": 0.07}}) == OFF
    assert threshold_for(model, None) == OFF
    assert threshold_for(model, metrics, override=0.4).value == 0.4
    cal = {"model_sha256": model_sha256(model), "split": "PrivateTest",
           "reliability": table([0] * 5 + [0.9] * 5)}
    (tmp_path / "calibration.json").write_text(json.dumps(cal))
    assert threshold_for(model, metrics).value == 0.5  # measured for exactly this file
    model.write_bytes(b"another model")
    assert threshold_for(model, metrics).value == 0.7  # stale: ignored


def test_an_int8_model_uses_the_calibration_of_its_float_model(tmp_path):
    model, int8 = tmp_path / "m.onnx", tmp_path / "m_int8.onnx"
    model.write_bytes(b"float model")
    int8.write_bytes(b"int8 model")
    cal = {"model_sha256": model_sha256(model), "reliability": table([0] * 5 + [0.9] * 5)}
    (tmp_path / "calibration.json").write_text(json.dumps(cal))
    assert threshold_for(int8, None).value == 0.5
    (tmp_path / "calibration.json").unlink()
    metrics = {"model_file": "m.onnx", "calibration": {"ece_original": 0.01}}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    assert threshold_for(int8, None).value == LEVEL  # the float model's metrics.json
