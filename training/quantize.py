"""int8 for the app: ONNX Runtime static quantization of a float classifier, and its accuracy.

`quantize_int8(float_path, calib_images, test=(images, labels), shifted=faces)` writes
`<stem>_int8.onnx` beside the float model: QDQ format (ONNX Runtime fuses it into
QLinearConv/QGemm, which run on the CPU's VNNI/AMX int8 units), int8 weights per output
channel, uint8 activations whose ranges are calibrated on the calibration images (99.9999th
percentile). The full-resolution convolutions (before the first pooling) stay float: rounding
their activations moved answers on camera-like faces (docs/int8.md). The softmax head (last
dense layer, softmax, mirror averaging) stays float, so the probabilities the clinician reads
are not rounded to 1/256 and still sum to 1. The float file's
metadata (`classes`, `version`, ...) is carried over, with the float file's SHA-256 and the
onnxruntime that measured it (`runtime`). With `test`, both models are measured on those images
(`float_test_accuracy`, `test_accuracy`, `test_agreement`); with `shifted`, the share of those
faces where both pick the same class (`shift_agreement`, `shift_images`). The app's rule for
using it by default is in app/core/analysis/classifier.py (`int8_rejection`).

The command calibrates on what the live chain feeds the classifier (training/shifted.py):
Training faces as they are and with camera-like changes, and faces the detector and aligner cut
from the stock media where ../shared has them; it measures agreement on the validation faces
with camera-like changes (two versions each) and the other stock-media faces, and accuracy on
PublicTest.

    python -m training.quantize models/fer_cnn.onnx
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.analysis.classifier import runtime_version
from app.core.analysis.sources import list_media

CALIB_IMAGES = 300  # ranges settle by then: 100 and 300 images give the same fidelity
CALIB_BATCH = 50
PERCENTILE = 99.9999  # clips the top 0.0001 % of activations: the closest probabilities
SEED = 0
INT8_SUFFIX = "_int8"  # app/core/paths.py looks for fer_cnn_int8.onnx beside fer_cnn.onnx
SHARED_MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
HEAD_OPS = ("MatMul", "Gemm")  # the layer producing the logits, kept float with the softmax
POOL_OPS = ("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool")  # end the first block


class QuantizeError(Exception):
    """Bad input or a quantized model that breaks the contract; one line for the user."""


@dataclass(frozen=True)
class Comparison:
    """Float and int8 model on the same labelled images."""

    float_accuracy: float
    int8_accuracy: float
    agreement: float  # share of images where both models pick the same class
    n: int

    @property
    def loss_points(self) -> float:
        return 100 * (self.float_accuracy - self.int8_accuracy)


def int8_path_for(float_path: str | Path) -> Path:
    p = Path(float_path)
    return p.with_name(f"{p.stem}{INT8_SUFFIX}{p.suffix}")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _session(path: Path, threads: int = 2):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises several types (InvalidProtobuf, Fail, ...)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise QuantizeError(f"{path}: not a loadable ONNX model ({first})") from None


def predict(path: str | Path, images: np.ndarray, batch: int = 256) -> np.ndarray:
    """Probabilities `[N, K]` of the ONNX model at `path` on `[N,48,48,1]` 0-255 images."""
    sess = _session(Path(path))
    name = sess.get_inputs()[0].name
    out = [sess.run(None, {name: images[i:i + batch].astype(np.float32)})[0]
           for i in range(0, len(images), batch)]
    return np.concatenate(out)


def accuracy(path: str | Path, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of `images` whose most probable class is `labels` (indices in the model's classes)."""
    return float((predict(path, images).argmax(1) == np.asarray(labels)).mean())


def compare(float_path: str | Path, int8_path: str | Path, images: np.ndarray,
            labels: np.ndarray) -> Comparison:
    pf, pq = predict(float_path, images).argmax(1), predict(int8_path, images).argmax(1)
    labels = np.asarray(labels)
    return Comparison(float((pf == labels).mean()), float((pq == labels).mean()),
                      float((pf == pq).mean()), len(labels))


def _reader(input_name: str, images: np.ndarray):
    from onnxruntime.quantization import CalibrationDataReader

    class Batches(CalibrationDataReader):
        """The calibration images in batches, float32 raw 0-255 as the app feeds them."""

        def __init__(self):
            self.rewind()

        def get_next(self):
            return next(self._it, None)

        def rewind(self):
            # equal batches: the histogram calibrators stack them (a short last one is dropped)
            step = min(CALIB_BATCH, len(images))
            self._it = iter(
                {input_name: images[i:i + step].astype(np.float32)}
                for i in range(0, len(images) - step + 1, step)
            )

    return Batches()


def head_nodes(model) -> list[str]:
    """Names of the nodes kept float: every Softmax, all that follows it, and the chain back to
    the MatMul/Gemm producing its logits. Quantized, the probabilities would be multiples of
    1/256 whose rows sum to 1 +- 0.014; float, they cost four exp() per image."""
    consumers: dict[str, list] = {}
    producer = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
        for name in node.output:
            producer[name] = node
    constants = {i.name for i in model.graph.initializer}
    keep: list[str] = []
    for softmax in (n for n in model.graph.node if n.op_type == "Softmax"):
        todo = [softmax]
        while todo:
            node = todo.pop()
            if node.name not in keep:
                keep.append(node.name)
                todo += [c for o in node.output for c in consumers.get(o, [])]
        node = producer.get(softmax.input[0])
        while node is not None and node.name not in keep:
            keep.append(node.name)
            if node.op_type in HEAD_OPS:
                break
            live = [i for i in node.input if i not in constants]
            node = producer.get(live[0]) if len(live) == 1 else None
    return keep


def input_convs(model) -> list[str]:
    """Names of the convolutions of the full-resolution block: every Conv met on the paths from
    the graph input before the first pooling (per ensemble member and mirror view). Kept float,
    their activations are never rounded to 8 bits: measured on camera-like faces
    (docs/int8.md), the int8 model then gives the float model's class on 99.7 % of them
    instead of 90 %; rounding the first block's output alone cost 4 of those 10 points."""
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    found: list[str] = []
    seen: set[str] = set()
    todo = [c for i in model.graph.input for c in consumers.get(i.name, [])]
    while todo:
        node = todo.pop()
        if node.name in seen or node.op_type in POOL_OPS:
            continue
        seen.add(node.name)
        if node.op_type == "Conv":
            found.append(node.name)
        todo += [c for o in node.output for c in consumers.get(o, [])]
    return found


def _named(model) -> None:
    """quantize_static addresses nodes by name: give unnamed nodes one."""
    for i, node in enumerate(model.graph.node):
        if not node.name:
            node.name = f"{node.op_type}_{i}"


def quantize_int8(
    float_path: str | Path,
    calib_images: np.ndarray,
    out_path: str | Path | None = None,
    *,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    shifted: np.ndarray | None = None,
    calib_count: int = CALIB_IMAGES,
) -> Path:
    """Write the int8 model of `float_path` (default `<stem>_int8.onnx` beside it) and return
    its path. `calib_images`: uint8 `[N,48,48,1]` training images (a seeded sample of
    `calib_count` is used); `test`: (images, labels) to measure and record both accuracies."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    float_path = Path(float_path)
    out = Path(out_path) if out_path is not None else int8_path_for(float_path)
    if out.resolve() == float_path.resolve():
        raise QuantizeError(f"{out}: the int8 model would overwrite the float model")
    sess = _session(float_path)  # also: a clear error for a missing or corrupt file
    meta = dict(sess.get_modelmeta().custom_metadata_map)
    if not meta.get("classes"):
        raise QuantizeError(f"{float_path}: ONNX metadata has no 'classes'; not a classifier")
    images = np.asarray(calib_images)
    if images.ndim != 4 or images.shape[1:] != (48, 48, 1) or len(images) == 0:
        raise QuantizeError(f"calibration images are {images.shape}, expected [N,48,48,1]")
    rng = np.random.default_rng(SEED)
    if len(images) > calib_count:
        images = images[np.sort(rng.choice(len(images), calib_count, replace=False))]

    with tempfile.TemporaryDirectory() as tmp:
        pre, raw = Path(tmp) / "pre.onnx", Path(tmp) / "int8.onnx"
        # shape inference + ORT's constant folding and fusions (MatMul+Add -> Gemm); the
        # symbolic pass would need sympy and the input's only dynamic dimension is N
        quant_pre_process(str(float_path), str(pre), skip_symbolic_shape=True)
        model = onnx.load(str(pre))
        _named(model)
        onnx.save(model, str(pre))
        with contextlib.redirect_stdout(io.StringIO()):  # the calibrator's progress prints
            quantize_static(
                str(pre), str(raw), _reader(sess.get_inputs()[0].name, images),
                quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=False,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.Percentile,
                nodes_to_exclude=head_nodes(model) + input_convs(model),
                extra_options={"CalibPercentile": PERCENTILE},
            )
        proto = onnx.load(str(raw))
    meta.update({
        "quantization": f"int8 static QDQ, uint8 activations ({PERCENTILE}th percentile of "
                        f"{len(images)} calibration faces), int8 per-channel weights, float "
                        "full-resolution convolutions and head",
        "quantized_from": float_path.name,
        "quantized_from_sha256": file_sha256(float_path),
        "runtime": runtime_version(),
    })
    _write(proto, meta, out)
    _check_contract(float_path, out)
    if test is not None:
        c = compare(float_path, out, *test)
        meta.update({"float_test_accuracy": f"{c.float_accuracy:.4f}",
                     "test_accuracy": f"{c.int8_accuracy:.4f}",
                     "test_agreement": f"{c.agreement:.4f}", "test_images": str(c.n)})
    if shifted is not None and len(shifted):
        meta.update({"shift_agreement": f"{agreement(float_path, out, shifted):.4f}",
                     "shift_images": str(len(shifted))})
    if test is not None or shifted is not None:
        _write(proto, meta, out)
    return out


def agreement(float_path: str | Path, int8_path: str | Path, images: np.ndarray) -> float:
    """Share of `images` where both models pick the same class."""
    return float((predict(float_path, images).argmax(1)
                  == predict(int8_path, images).argmax(1)).mean())



def _write(proto, meta: dict[str, str], out: Path) -> None:
    """Metadata replaced, written to a temporary file and renamed (never a torn model)."""
    del proto.metadata_props[:]
    for key, value in meta.items():
        proto.metadata_props.add(key=key, value=str(value))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(proto.SerializeToString())
    os.replace(tmp, out)


def _check_contract(float_path: Path, int8_path: Path) -> None:
    """Same input, same classes and version, [N,K] rows summing to 1 (DESIGN.md contract)."""
    fs, qs = _session(float_path), _session(int8_path)
    fm, qm = fs.get_modelmeta().custom_metadata_map, qs.get_modelmeta().custom_metadata_map
    for key in ("classes", "version"):
        if fm.get(key) != qm.get(key):
            raise QuantizeError(f"{int8_path}: metadata {key!r} was not carried over")
    (fi,), (qi,) = fs.get_inputs(), qs.get_inputs()
    if (fi.name, fi.type, fi.shape) != (qi.name, qi.type, qi.shape):
        raise QuantizeError(f"{int8_path}: input {qi.type} {qi.shape} differs from the float one")
    x = np.random.default_rng(SEED).integers(0, 256, (3, 48, 48, 1)).astype(np.float32)
    p = qs.run(None, {qi.name: x})[0]
    k = len(fm["classes"].split(","))
    if p.shape != (3, k) or p.dtype != np.float32 or not np.allclose(p.sum(1), 1, atol=1e-5):
        raise QuantizeError(f"{int8_path}: output {p.dtype} {p.shape} is not [N,{k}] probabilities")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.quantize",
                                description=__doc__.split("\n")[0])
    p.add_argument("model", type=Path, help="float ONNX classifier (e.g. models/fer_cnn.onnx)")
    p.add_argument("--out", type=Path, help="int8 model (default: <stem>_int8.onnx beside it)")
    p.add_argument("--csv", type=Path, help="FER-2013 CSV (default: ../shared/data/fer2013)")
    p.add_argument("--calib-images", type=int, default=CALIB_IMAGES,
                   help="Training images used to calibrate, each also once with camera-like "
                        "changes (default: %(default)s)")
    p.add_argument("--media", type=Path, default=SHARED_MEDIA,
                   help="folder of videos/photos whose detected faces join calibration and "
                        "the agreement measure (default: %(default)s, skipped if absent)")
    return p


def camera_sets(training: np.ndarray, val: np.ndarray, media: Path | None, calib_count: int,
                ) -> tuple[np.ndarray, np.ndarray]:
    """(calibration faces, agreement faces): see the module docstring. Seeded."""
    from training.shifted import camera_like, chain_crops

    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(training), min(2 * calib_count, len(training)), replace=False)
    clean, to_shift = training[pick[:calib_count]], training[pick[calib_count:]]
    calib = [clean, camera_like(to_shift, rng)]
    gate = [camera_like(val, rng), camera_like(val, rng)]
    files = list_media(media) if media is not None and media.is_dir() else []
    for i, path in enumerate(files):
        crops = chain_crops([path])
        if i == 0:  # the first file's frames alternate: even ones calibrate, odd ones judge
            calib.append(crops[0::2])
            gate.append(crops[1::2])
        else:
            gate.append(crops)
    return np.concatenate(calib), np.concatenate(gate)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from training.data import DataError, load_fer_csv, parse_classes, split_of
    from training.options import SHARED_CSV

    prog = "quantize"
    try:
        classes = _session(args.model).get_modelmeta().custom_metadata_map.get("classes", "")
        data = load_fer_csv(args.csv or SHARED_CSV, parse_classes(classes))
        test = data.get("PublicTest")
        if test is None:
            raise DataError(f"{args.csv or SHARED_CSV}: no PublicTest rows to measure on")
        calib, gate = camera_sets(data["Training"].images, split_of(data, "val").images,
                                  args.media, args.calib_images)
        out = quantize_int8(args.model, calib, args.out, test=(test.images, test.labels),
                            shifted=gate, calib_count=len(calib))
    except (QuantizeError, DataError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    meta = _session(out).get_modelmeta().custom_metadata_map
    f, q = float(meta["float_test_accuracy"]), float(meta["test_accuracy"])
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB, float {args.model.stat().st_size / 1e6:.1f}"
          f" MB)\nPublicTest, {meta['test_images']} images ({classes}):\n"
          f"  float {100 * f:.2f} %   int8 {100 * q:.2f} %   loss {100 * (f - q):+.2f} point\n"
          f"  same class in {100 * float(meta['test_agreement']):.2f} % of images\n"
          f"camera-like faces, {meta['shift_images']}: same class in "
          f"{100 * float(meta['shift_agreement']):.2f} %")
    from app.core.analysis.classifier import int8_rejection

    rejection = int8_rejection(meta, args.model)
    print("the app will use it by default" if rejection is None
          else f"the app will run the float model: {rejection}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
