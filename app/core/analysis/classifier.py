"""The emotion classifier: an ONNX model checked against the model contract of DESIGN.md.

Contract: one input float32 `[N, 48, 48, 1]` (raw grayscale 0-255, N dynamic), first output
float32 `[N, K]` softmax probabilities, ONNX metadata `classes` = K comma-separated names.
Anything else raises `ModelError` with one line saying what is wrong, at load time, so a bad
model never fails in the middle of a session.

Without `--model`, the int8 version of the shipped model is loaded only when its own metadata
shows it fit to replace the float one (`int8_rejection`): made from this very float file, the
same class as the float model on at least `MIN_INT8_SHIFT_AGREEMENT` of camera-like faces (the
faces the chain really feeds it, training/shifted.py), within `MAX_INT8_LOSS_POINTS` of it on
PublicTest, both measured under the onnxruntime that runs now (its int8 kernels changed answers
between releases), and running on the CPU (a GPU runs the float model faster). Otherwise the
float model runs: an int8 model that lost 0.5 point on PublicTest lost 3 on real photographs.
`fast=True` (fer-analyze --fast, archives) takes the int8 model whenever it was made from this
float file, saying what it gives up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from app.core.analysis.preprocess import FACE_SIDE
from app.core.analysis.providers import ProviderInfo, create_session
from app.core.errors import ModelError
from app.core.paths import default_model_path, int8_model_path

DEFAULT_CLASSES = ("happy", "sad", "surprise", "neutral")
# Two ONNX Runtime threads (no spinning, so they do not steal from the other stages between
# runs): the live view classifies a frame once it is searched, when both cores are free. In
# analyze_source, which classifies frame t while detecting frame t+1, one thread and two
# measured the same (int8, 640x360: median 315 vs 308 frames/s, bench_pipeline.py
# --classify-threads), so the live view's choice holds there too.
CLASSIFY_THREADS = 2
MAX_INT8_LOSS_POINTS = 0.3  # PublicTest accuracy points the int8 model may lose to the float one
MIN_INT8_SHIFT_AGREEMENT = 0.995  # share of camera-like faces where int8 and float agree


class EmotionClassifier:
    """Loads and validates a model; `predict` maps a crop batch to probabilities."""

    def __init__(
        self, model_path: str | Path | None = None, device: str = "auto",
        threads: int = CLASSIFY_THREADS, *, fast: bool = False,
    ):
        if model_path is not None:
            path = Path(model_path)
            if not path.is_file():
                raise ModelError(f"model not found: {path}")
            self._session, provider = create_session(path, device, threads)
            self.choice = "chosen with --model"
        else:
            path, self._session, provider, self.choice = _default_model(device, threads, fast)
        self.path = path
        self.provider: ProviderInfo = provider  # what actually runs, and why
        self.classes: tuple[str, ...] = _classes(self._session, path)
        meta = self._session.get_modelmeta().custom_metadata_map
        # e.g. fer_cnn-2026-11-24: fer-train writes it, the quantizer copies it to the int8 file
        self.version: str = meta.get("version", "")
        self.precision: str = model_precision(meta)
        self._input = _check_input(self._session, path)
        self._output = self._session.get_outputs()[0].name
        _check_output(self, path)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """float32 `[N, 48, 48, 1]` (0-255) -> float32 `[N, K]` probabilities; N may be 0."""
        if len(crops) == 0:
            return np.zeros((0, len(self.classes)), np.float32)
        out = self._session.run([self._output], {self._input: crops})[0]
        # float32 rounding in a graph's calibration can leave a share at -1e-8: the baseline
        # and the notes take logs of these
        return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def model_precision(meta: Mapping[str, str]) -> str:
    """'int8' for a model the quantizer made (its metadata `quantization`, e.g. "int8 static
    QDQ, ..."), '' for a model as trained."""
    words = meta.get("quantization", "").split()
    return words[0].rstrip(",;") if words else ""


def version_label(version: str, precision: str) -> str:
    """The version shown in sessions and reports: `fer_cnn-2026-11-24 (int8)` for the int8
    model, whose `version` is the float model's it was made from."""
    if not precision:
        return version
    return f"{version} ({precision})" if version else precision


def runtime_version() -> str:
    """The onnxruntime that runs, as the quantizer records it: `onnxruntime 1.31.1`."""
    import onnxruntime

    return f"onnxruntime {onnxruntime.__version__}"


def _made_from(meta: Mapping[str, str], float_path: Path) -> str | None:
    made_from = meta.get("quantized_from_sha256", "")
    if float_path.is_file() and made_from != hashlib.sha256(float_path.read_bytes()).hexdigest():
        return f"it was made from another model than {float_path.name} (re-run the quantizer)"
    return None


def int8_rejection(meta: Mapping[str, str], float_path: Path) -> str | None:
    """Why the int8 model with metadata `meta` must not replace `float_path` (None: use it)."""
    try:
        # accuracies are recorded to 4 decimals: the loss is exact to 0.01 point
        loss = round(100 * (float(meta["float_test_accuracy"]) - float(meta["test_accuracy"])), 2)
    except (KeyError, ValueError):
        return "its accuracy against the float model is not recorded"
    try:
        agreement = float(meta["shift_agreement"])
    except (KeyError, ValueError):
        return "it was not measured on camera-like faces (re-run the quantizer)"
    if not agreement >= MIN_INT8_SHIFT_AGREEMENT:
        return (f"it gives the float model's answer on only {100 * agreement:.1f} % of "
                f"camera-like faces (at least {100 * MIN_INT8_SHIFT_AGREEMENT:.1f} % needed)")
    if not loss <= MAX_INT8_LOSS_POINTS:
        return f"it loses {loss:.2f} point to the float model (at most {MAX_INT8_LOSS_POINTS})"
    measured, running = meta.get("runtime", "an unknown runtime"), runtime_version()
    if measured != running:
        return f"it was measured under {measured}, and {running} runs now"
    return _made_from(meta, float_path)


def _default_model(device: str, threads: int, fast: bool = False):
    """(path, session, provider, why): the shipped int8 model where fit, else the float one."""
    float_path = default_model_path()
    int8_path = int8_model_path(float_path)
    why = "float model"
    if int8_path.is_file() and int8_path != float_path:
        try:
            session, provider = create_session(int8_path, device, threads)
        except ModelError as exc:
            raise ModelError(f"{exc}; delete it or pass --model to choose a model") from None
        meta = session.get_modelmeta().custom_metadata_map
        rejection = "the GPU runs the float model" if provider.is_gpu else None
        strict = rejection or int8_rejection(meta, float_path)
        if strict is None:
            why = (f"int8 model: same answer as the float model on "
                   f"{100 * float(meta['shift_agreement']):.1f} % of camera-like faces")
            return int8_path, session, provider, why
        if fast and (rejection or _made_from(meta, float_path)) is None:
            why = f"int8 model (--fast), less faithful than the float model: {strict}"
            return int8_path, session, provider, why
        why = f"float model: int8 not used, {strict}"
    if not float_path.is_file():
        raise ModelError(f"model not found: {float_path} (train one with fer-train, "
                         "or pass --model)")
    return float_path, *create_session(float_path, device, threads), why


def _classes(session, path: Path) -> tuple[str, ...]:
    meta = session.get_modelmeta().custom_metadata_map
    names = tuple(c.strip().lower() for c in meta.get("classes", "").split(",") if c.strip())
    if not names:
        raise ModelError(f"{path}: ONNX metadata has no 'classes' (comma-separated class names)")
    if len(set(names)) != len(names):
        raise ModelError(f"{path}: duplicate names in ONNX metadata 'classes': {','.join(names)}")
    return names


def _check_input(session, path: Path) -> str:
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ModelError(f"{path}: model has {len(inputs)} inputs, expected 1 [N,48,48,1]")
    inp = inputs[0]
    shape = list(inp.shape)
    if inp.type != "tensor(float)" or len(shape) != 4 or shape[1:] != [FACE_SIDE, FACE_SIDE, 1]:
        raise ModelError(
            f"{path}: input {inp.name} is {inp.type} {shape}, expected float32 [N,48,48,1]"
        )
    if isinstance(shape[0], int) and shape[0] != -1:
        raise ModelError(f"{path}: input batch size is fixed to {shape[0]}, expected dynamic N")
    return inp.name


def _check_output(clf: EmotionClassifier, path: Path) -> None:
    """Run a small random batch: output must be [N, K] probabilities, K = len(classes)."""
    rng = np.random.default_rng(0)
    probe = rng.uniform(0, 255, (2, FACE_SIDE, FACE_SIDE, 1)).astype(np.float32)
    try:
        out = clf.predict(probe)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ModelError(f"{path}: model fails on a [2,48,48,1] batch ({first})") from None
    k = len(clf.classes)
    if out.shape != (2, k):
        raise ModelError(
            f"{path}: output shape {list(out.shape)} for N=2 does not match "
            f"{k} classes ({','.join(clf.classes)})"
        )
    sums = out.sum(axis=1)
    if not np.all(np.isfinite(out)) or np.any(out < -1e-6) or not np.allclose(sums, 1, atol=1e-3):
        raise ModelError(f"{path}: output is not softmax probabilities (row sums {sums.round(3)})")
