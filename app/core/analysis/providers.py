"""ONNX Runtime session creation with an honest, quiet choice of execution provider.

`get_available_providers()` lists what the installed wheel was built with, not what can load:
onnxruntime-gpu lists CUDA on a machine without CUDA/cuDNN libraries and, when asked for it,
prints a red multi-line error before falling back to CPU. So each GPU candidate is probed by
creating a session with the default logger silenced, and only the session's `get_providers()`
is believed. The outcome is one line for the user (`ProviderInfo.__str__`).
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

from app.core.errors import DeviceError, ModelError

CPU = "CPUExecutionProvider"
# Preference order for --device auto / gpu.
GPU_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "DmlExecutionProvider")
DEVICES = ("auto", "cpu", "gpu")
_QUIET = 3  # ERROR: session warnings (e.g. unused initializers) would only confuse the user
_SILENT = 4  # FATAL only: used while probing, where loader errors are expected


@dataclass(frozen=True)
class ProviderInfo:
    """Which execution provider runs the model, and why it was chosen."""

    name: str  # e.g. "CPUExecutionProvider"
    reason: str

    @property
    def is_gpu(self) -> bool:
        return self.name != CPU

    def __str__(self) -> str:
        return f"{self.name.removesuffix('ExecutionProvider')} ({self.reason})"


GPU_NAMES = {"CUDA": "GPU (CUDA)", "Tensorrt": "GPU (TensorRT)", "Dml": "GPU (DirectML)"}


def device_label(provider: str) -> str:
    """"CPU" or "GPU (CUDA)" for a reader, from `str(ProviderInfo)` (e.g. "CPU (no usable
    GPU: ...)"); '' when unknown."""
    name = provider.split(" ", 1)[0].removesuffix("ExecutionProvider") if provider else ""
    return "CPU" if name == "CPU" else GPU_NAMES.get(name, f"GPU ({name})" if name else "")


def _options(threads: int, provider: str) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = _QUIET
    # Spinning worker threads steal the core the video decoder needs.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if provider == "DmlExecutionProvider":
        opts.enable_mem_pattern = False  # required by DirectML
    return opts


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _cpu_session(path: Path, threads: int) -> ort.InferenceSession:
    try:
        return ort.InferenceSession(str(path), _options(threads, CPU), providers=[CPU])
    except Exception as exc:  # ORT raises several types (InvalidProtobuf, Fail, ...)
        why = _first_line(exc)
        if "INVALID_PROTOBUF" in why or "Protobuf parsing failed" in why:
            why = "not an ONNX file: protobuf parsing failed"
        raise ModelError(f"{path}: not a loadable ONNX model ({why})") from None


def _probe_gpu(path: Path, threads: int) -> tuple[ort.InferenceSession | None, str, list[str]]:
    """Try each GPU provider the wheel lists; return (session or None, provider, failures)."""
    listed = [p for p in GPU_PROVIDERS if p in ort.get_available_providers()]
    failures: list[str] = []
    ort.set_default_logger_severity(_SILENT)
    try:
        for provider in listed:
            short = provider.removesuffix("ExecutionProvider")
            try:
                # onnxruntime's Python layer print()s an "EP Error" banner when a provider
                # fails and it falls back (TensorRT without its libraries): keep it off the
                # user's console; the outcome is reported in one line below.
                with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                    sess = ort.InferenceSession(
                        str(path), _options(threads, provider), providers=[provider, CPU]
                    )
            except Exception:
                failures.append(f"{short} listed but failed to start")
                continue
            if sess.get_providers()[0] == provider:
                return sess, provider, failures
            failures.append(f"{short} listed but its libraries did not load")
    finally:
        ort.set_default_logger_severity(_QUIET)
    return None, "", failures


def create_session(
    path: Path, device: str = "auto", threads: int = 1
) -> tuple[ort.InferenceSession, ProviderInfo]:
    """Create an inference session for `path` on `device` ("auto", "cpu" or "gpu").

    Raises `ModelError` if the file does not load, `DeviceError` for "gpu" without a GPU.
    """
    if device not in DEVICES:
        raise DeviceError(f"unknown device {device!r} (choose one of {', '.join(DEVICES)})")
    cpu_sess = _cpu_session(path, threads)  # also validates the file before any GPU probing
    if device == "cpu":
        return cpu_sess, ProviderInfo(CPU, "--device cpu")
    sess, provider, failures = _probe_gpu(path, threads)
    if sess is not None:
        return sess, ProviderInfo(provider, f"GPU, --device {device}")
    why = "; ".join(failures) or "no GPU provider in this onnxruntime build"
    if device == "gpu":
        raise DeviceError(f"--device gpu: no GPU provider works here ({why})")
    return cpu_sess, ProviderInfo(CPU, f"no usable GPU: {why}")


def open_model(path: Path, what: str, device: str = "auto", threads: int = 1
               ) -> tuple[ort.InferenceSession, ProviderInfo]:
    """`create_session` for a helper model (`what`: "face detector", "face mesh"): a missing
    or broken file is a one-line `ModelError` that names it."""
    if not path.is_file():
        raise ModelError(f"{what} model not found: {path}")
    try:
        return create_session(path, device, threads)
    except ModelError as exc:
        raise ModelError(f"{what}: {exc}") from None


def device_words(info: ProviderInfo) -> str:
    """Where the model runs and why, for a clinician (the About dialog): no provider jargon.
    The technical line stays `str(info)`."""
    if info.is_gpu:
        return "The model runs on this computer's graphics card (GPU)."
    if info.reason == "--device cpu":
        return "The model runs on the processor (CPU), as chosen at start (--device cpu)."
    if "libraries did not load" in info.reason or "failed to start" in info.reason:
        return ("The model runs on the processor (CPU), which is fast enough for live sessions. "
                "It cannot use a graphics card (GPU) here: either there is no NVIDIA graphics "
                "card, or NVIDIA's CUDA 13 and cuDNN 9 libraries are not installed. To use an "
                "NVIDIA GPU, install its driver, CUDA 13 and cuDNN 9, then restart the app.")
    return ("The model runs on the processor (CPU), which is fast enough for live sessions. "
            "This installation has no graphics-card (GPU) support; for an NVIDIA GPU, install "
            "the app with onnxruntime-gpu and NVIDIA's CUDA 13 and cuDNN 9 libraries.")
