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

from training.model import INPUT_SHAPE, HParams, make_core

PARITY_TOLERANCE = 1e-4


class ExportError(Exception):
    """The exported graph disagrees with Keras or breaks the contract."""


class HorizontalFlip(layers.Layer):
    """Mirror left-right: a deterministic op (unlike RandomFlip) for test-time averaging."""

    def call(self, x):
        return keras.ops.flip(x, axis=2)


def inference_model(trained: keras.Model, hp: HParams, num_classes: int, flip: bool) -> keras.Model:
    """A float32 copy of the trained core; with `flip`, it averages image and mirror image."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        core = make_core(hp, num_classes)
        core.set_weights(trained.get_weights())
        if not flip:
            return core
        inp = keras.Input(INPUT_SHAPE, name="pixels")
        out = layers.Average(name="tta_mean")([core(inp), core(HorizontalFlip(name="mirror")(inp))])
        return keras.Model(inp, out, name="fer_cnn_tta")
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
