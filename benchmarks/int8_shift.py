"""Float vs int8 where the app uses them: camera-like faces, PublicTest, and the chain's speed.

In one run, for a float model and its int8 twin (default: the shipped pair):
- PublicTest as it is: both accuracies and how often they agree;
- PublicTest with camera-like changes (training/shifted.py, seeded): both accuracies, agreement;
- the agreement set the quantizer records and the app's rule reads (validation faces with
  camera-like changes, twice, and the stock-media faces the detector cuts), rebuilt here the
  same way (`training.quantize.camera_sets`), so the recorded figure can be checked;
- how often the float model changes its own class on that set under half a grey level of noise,
  one grey level, or a 1-pixel shift (what an agreement rule can ask of int8 rounding);
- the whole chain's frames/s (decode, detect, classify) on the stock clip at 640x360 with each.
Then whether the app would run the int8 model (classifier.int8_rejection on its record).

    python benchmarks/int8_shift.py [--float models/fer_cnn.onnx] [--int8 models/fer_cnn_int8.onnx]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.analyzer import Analyzer  # noqa: E402
from app.core.analysis.classifier import EmotionClassifier, int8_rejection  # noqa: E402
from app.core.analysis.sources import quiet_native_logs  # noqa: E402
from benchmarks.bench_pipeline import CLIP, resize_clip, run  # noqa: E402
from training.data import load_fer_csv, parse_classes, split_of  # noqa: E402
from training.options import SHARED_CSV  # noqa: E402
from training.quantize import SEED, SHARED_MEDIA, camera_sets, predict  # noqa: E402
from training.shifted import camera_like  # noqa: E402


def line(name: str, pf: np.ndarray, pq: np.ndarray, y: np.ndarray | None) -> str:
    agree = (pf.argmax(1) == pq.argmax(1)).mean()
    text = f"{name:<34} {len(pf):>6}  agree {100 * agree:6.2f} %"
    if y is not None:
        f, q = (pf.argmax(1) == y).mean(), (pq.argmax(1) == y).mean()
        text += f"  float {100 * f:5.2f} %  int8 {100 * q:5.2f} %  loss {100 * (f - q):+5.2f}"
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--float", dest="float_path", type=Path, default=REPO / "models/fer_cnn.onnx")
    p.add_argument("--int8", type=Path, help="default: <float stem>_int8.onnx beside it")
    p.add_argument("--csv", type=Path, default=SHARED_CSV)
    p.add_argument("--media", type=Path, default=SHARED_MEDIA)
    p.add_argument("--no-speed", action="store_true", help="skip the chain's frames/s")
    args = p.parse_args(argv)
    int8 = args.int8 or args.float_path.with_name(f"{args.float_path.stem}_int8.onnx")
    for path in (args.float_path, int8, args.csv):
        if not path.is_file():
            print(f"int8_shift: not found: {path}", file=sys.stderr)
            return 2
    quiet_native_logs()
    clf = EmotionClassifier(args.float_path, device="cpu")
    data = load_fer_csv(args.csv, parse_classes(",".join(clf.classes)))
    test = data["PublicTest"]
    print(f"float {args.float_path.name}, int8 {int8.name}; load average "
          f"{os.getloadavg()[0]:.2f}")
    both = lambda x: (predict(args.float_path, x), predict(int8, x))  # noqa: E731
    print(line("PublicTest", *both(test.images), test.labels))
    shifted = camera_like(test.images, np.random.default_rng(SEED + 100))
    print(line("PublicTest, camera-like", *both(shifted), test.labels))
    _, gate = camera_sets(data["Training"].images, split_of(data, "val").images,
                          args.media if args.media.is_dir() else None, 300)
    pf_gate, pq_gate = both(gate)
    print(line("agreement set (quantizer's)", pf_gate, pq_gate, None))
    # how stable the float model itself is there: its own class under tiny input changes
    noise = np.random.default_rng(SEED)
    for name, changed in (("+-0.5 grey-level noise", gate + noise.normal(0, 0.5, gate.shape)),
                          ("+-1 grey-level noise", gate + noise.normal(0, 1.0, gate.shape)),
                          ("1-pixel shift", np.roll(gate, 1, axis=2))):
        moved = predict(args.float_path, np.clip(changed, 0, 255).astype(np.float32))
        print(line(f"float vs float, {name}", pf_gate, moved, None))

    import onnxruntime as ort

    meta = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"]) \
        .get_modelmeta().custom_metadata_map
    rejection = int8_rejection(meta, args.float_path)
    print(f"record: shift_agreement {meta.get('shift_agreement', '-')} on "
          f"{meta.get('shift_images', '-')} faces, {meta.get('runtime', 'runtime unknown')}")
    print("the app runs the int8 model" if rejection is None
          else f"the app runs the float model: {rejection}")
    if args.no_speed or not CLIP.is_file():
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        clip = resize_clip(CLIP, (640, 360), Path(tmp) / "clip_640.mp4")
        for path in (args.float_path, int8):
            analyzer = Analyzer(path, device="cpu")
            run(clip, analyzer)  # warm-up
            rates = []
            for _ in range(3):
                n, wall, *_ = run(clip, analyzer)
                rates.append(n / wall)
            print(f"chain 640x360 {path.name:<22} median {np.median(rates):6.1f} frames/s "
                  f"({', '.join(f'{r:.0f}' for r in rates)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
