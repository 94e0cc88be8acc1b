"""Where the FER-2013 framing sits relative to BlazeFace's box and keypoints (calibration).

FER-2013 images are 48x48 crops framed by the data set's own face finder. The app crops live
faces by BlazeFace's box, levelled by its eye keypoints (preprocess.py); for the crop to look
like the training images, its size and centre must relate to BlazeFace's box the way the FER
frame does. Each PublicTest image is padded with its replicated border, enlarged and given to
the short-range model; for the faces it finds, prints the median (and quartiles) of FER side /
box side, of the FER centre's offset from the box centre (x side, in the eye-levelled frame),
of FER side / eye distance and of the eye roll. Those medians are preprocess.ALIGNED_*.

    python benchmarks/crop_framing.py [--faces 1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis import blazeface as bf  # noqa: E402
from app.core.analysis.detector import models_dir  # noqa: E402
from benchmarks.chain_accuracy import FER_CSV, load_public_test  # noqa: E402

FACE_PX = 64  # the 48-px FER face enlarged to this many px in the 128-px model input


def measure(model: bf.BlazeFaceModel, face: np.ndarray) -> tuple[float, ...] | None:
    """(FER side / box side, centre dx, dy x box side (levelled), FER side / eye distance,
    roll deg) for one FER image, or None when the detector finds no face in it."""
    s = model.spec.side
    pad = (s * 48 // FACE_PX - 48) // 2
    big = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    big = cv2.resize(big, (s, s), interpolation=cv2.INTER_CUBIC)
    found = model.run(big, 0.5)
    if not found:
        return None
    (x0, y0, x1, y1), kps, _ = max(found, key=lambda d: d[2])
    k = s / (48 + 2 * pad)  # input px per FER px
    fer_c, fer_side = np.array([s / 2, s / 2]), 48 * k
    box_c, box_side = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) * s, (x1 - x0) * s
    eye = (kps[bf.LEFT_EYE] - kps[bf.RIGHT_EYE]) * s
    roll = np.arctan2(eye[1], eye[0])
    c, sn = np.cos(-roll), np.sin(-roll)
    d = np.array([[c, -sn], [sn, c]]) @ (fer_c - box_c) / box_side
    return fer_side / box_side, d[0], d[1], fer_side / np.linalg.norm(eye), np.degrees(roll)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=FER_CSV)
    ap.add_argument("--faces", type=int, default=1000)
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"crop_framing: error: {args.data} not found", file=sys.stderr)
        return 1
    model = bf.BlazeFaceModel(models_dir() / bf.SHORT_MODEL, bf.SHORT, "cpu")
    images, _ = load_public_test(args.data)
    rows = [m for im in images[: args.faces] if (m := measure(model, im)) is not None]
    print(f"BlazeFace (short-range) found a face in {len(rows)} of {min(args.faces, len(images))}"
          f" FER-2013 PublicTest images")
    a = np.array(rows)
    for i, name in enumerate(("FER side / box side", "centre offset x (x box side)",
                              "centre offset y (x box side)", "FER side / eye distance",
                              "eye roll (degrees)")):
        q1, med, q3 = np.percentile(a[:, i], [25, 50, 75])
        print(f"{name:30s} median {med:+.3f}  quartiles {q1:+.3f} .. {q3:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
