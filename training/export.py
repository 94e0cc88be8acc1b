"""ONNX export under the model-file contract of DESIGN.md, with a parity check at export time.

Contract: input float32 [N,48,48,1] raw 0-255 pixels (N dynamic), output float32 [N,K] softmax,
metadata `classes` = comma-separated lower-case class names in output order.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras
import numpy as np
import onnx
import onnxruntime as ort
from keras import layers

from training.model import INPUT_SHAPE, HParams, logits_of, make_core
from training.targets import Task

PARITY_TOLERANCE = 1e-4


class ExportError(Exception):
    """The exported graph disagrees with Keras or breaks the contract."""


class HorizontalFlip(layers.Layer):
    """Mirror left-right: a deterministic op (unlike RandomFlip) for test-time averaging."""

    def call(self, x):
        return keras.ops.flip(x, axis=2)


class CalibratedSubset(layers.Layer):
    """softmax(logits[:, idx] / T + b): keeps the output classes (renormalised among
    themselves), applies the temperature fitted on the validation split (calibrate.py) and the
    class offsets (balance.py)."""

    def __init__(self, idx: list[int], temperature: float, bias: list[float] | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.idx, self.temperature = list(idx), float(temperature)
        self.bias = [float(b) for b in bias] if bias is not None else [0.0] * len(self.idx)

    def call(self, z):
        z = keras.ops.take(z, self.idx, axis=1) / self.temperature
        return keras.ops.softmax(z + keras.ops.convert_to_tensor(self.bias, z.dtype), axis=-1)

    def get_config(self):
        return {**super().get_config(), "idx": self.idx, "temperature": self.temperature,
                "bias": self.bias}


class TopLabelMap(layers.Layer):
    """The top probability mapped through a monotone piecewise-linear curve (knots [[x, y], ...],
    calibrate.fit_top_map); the other classes rescaled to fill the rest of each row."""

    def __init__(self, knots: list[list[float]], **kwargs):
        super().__init__(**kwargs)
        self.knots = [[float(x), float(y)] for x, y in knots]

    def call(self, p):
        ops = keras.ops
        c = ops.max(p, axis=-1, keepdims=True)
        (x0, y), *rest = self.knots
        mapped = ops.zeros_like(c) + y
        for x1, y1 in rest:  # y0 + sum of slope * (the part of c inside each segment)
            mapped = mapped + (y1 - y) / (x1 - x0) * (ops.clip(c, x0, x1) - x0)
            x0, y = x1, y1
        # float32: c can round to 1 and the map's end to just over 1; no share may go negative
        mapped = ops.clip(mapped, 0.0, 1.0)
        is_top = ops.cast(ops.equal(p, c), p.dtype)
        rest_scale = (1.0 - mapped) / ops.maximum(1.0 - c, 1e-6)
        return is_top * mapped + (1.0 - is_top) * p * rest_scale

    def get_config(self):
        return {**super().get_config(), "knots": self.knots}


def inference_model(
    members: list[tuple[keras.Model, HParams]], task: Task, flip: bool, temperature: float = 1.0,
    top_map: list[list[float]] | None = None, bias: list[float] | None = None,
) -> keras.Model:
    """The shipped graph, float32: for each member net (an ensemble when several) and each view
    (the image, and its mirror image with `flip`), calibrated probabilities of the output
    classes; their mean, then the top-probability map when there is one, is the output."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        inp = keras.Input(INPUT_SHAPE, name="pixels")
        views = [inp, HorizontalFlip(name="mirror")(inp)] if flip else [inp]
        outs = []
        for i, (trained, hp) in enumerate(members):
            core = make_core(hp, len(task.train_classes))
            core.set_weights(trained.get_weights())
            logits = logits_of(core, name=f"member{i}")
            for j, view in enumerate(views):
                outs.append(CalibratedSubset(task.out_idx, temperature, bias,
                                             name=f"probs{i}_{j}")(
                    logits(view)))
        out = outs[0] if len(outs) == 1 else layers.Average(name="mean")(outs)
        if top_map:
            out = TopLabelMap(top_map, name="top_map")(out)
        return keras.Model(inp, out, name="fer_classifier")
    finally:
        keras.config.set_dtype_policy(previous)


def export_onnx(
    model: keras.Model,
    path: Path,
    classes: tuple[str, ...],
    check_images: np.ndarray,
    metadata: dict[str, str] | None = None,
) -> float:
    """Write `model` to `path` and return the max |ORT - Keras| on `check_images` (uint8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x = check_images.astype(np.float32)
    expected = model.predict(x, batch_size=256, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "model.onnx"
        model.export(str(raw), format="onnx", verbose=False)
        proto = onnx.load(str(raw))
    meta = {"classes": ",".join(classes), **(metadata or {})}
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=str(v))
    onnx.checker.check_model(proto)
    path.write_bytes(proto.SerializeToString())
    return check_onnx(path, x, expected, classes)


def check_onnx(path: Path, x: np.ndarray, expected: np.ndarray, classes: tuple[str, ...]) -> float:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    if list(inp.shape[1:]) != list(INPUT_SHAPE) or inp.type != "tensor(float)":
        raise ExportError(f"exported input is {inp.type} {inp.shape}, expected float [N,48,48,1]")
    got = sess.run(None, {inp.name: x})[0]
    if got.shape != (len(x), len(classes)):
        raise ExportError(f"exported output shape {got.shape}, expected {(len(x), len(classes))}")
    diff = float(np.abs(got - expected).max())
    if not diff <= PARITY_TOLERANCE:
        raise ExportError(f"ONNX/Keras parity {diff:.2e} exceeds {PARITY_TOLERANCE:.0e}")
    return diff
