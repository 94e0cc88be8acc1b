"""Accuracy of the whole chain (encode -> decode -> detect -> track -> crop -> classify).

Builds a clip from FER-2013 PublicTest faces placed into frames of a synthetic room at varied
sizes (80-220 px) and positions, with the truth per frame, runs `analyze_source` on it and
reports the share of face frames with the face found and labelled right, next to the model's
own accuracy on the same 48x48 images (what the chain can at best reach).

Fair setup: a FER image is a tight 48x48 crop, and Haar needs a little context around a face
(forehead, cheeks, chin) to fire reliably, so each face is padded with a replicated border
(`--pad`, fraction of its side, feathered into the background). Even so the frontal-face
cascade finds only ~83 % of FER-2013 faces in a still image (turned heads, hands, cut-off
faces; sad ones least), while in a real session one face persists and a frame Haar misses is
bridged by the tracker. So by default the clip uses only faces the cascade finds in a still
image (counted and reported per class), and `--all-faces` keeps every face for the harsher
number. The crop the model gets should match the 48x48 original; the "box vs truth" line shows
how well it does, and what `app.core.analysis.preprocess.FACE_MARGIN` would make them coincide.

    python benchmarks/chain_accuracy.py --model models/fer_cnn.onnx [--faces 400]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.analyzer import Analyzer  # noqa: E402
from app.core.analysis.detector import DEFAULT_DETECTOR, DETECTORS  # noqa: E402
from app.core.analysis.pipeline import analyze_source  # noqa: E402
from app.core.analysis.preprocess import prepare_face  # noqa: E402
from app.core.analysis.sources import quiet_native_logs  # noqa: E402
from app.core.analysis.tracker import iou  # noqa: E402
from app.core.errors import CoreError  # noqa: E402

FER_CSV = REPO.parent / "shared" / "data" / "fer2013" / "fer2013.csv.gz"
FER_NAMES = {3: "happy", 4: "sad", 5: "surprise", 6: "neutral"}
W, H, FPS = 640, 360, 24.0


def load_public_test(path: Path) -> tuple[np.ndarray, list[str]]:
    """PublicTest images (uint8 [N,48,48]) of the four classes and their names."""
    images, names = [], []
    with gzip.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            name = FER_NAMES.get(int(row["emotion"]))
            if row["Usage"] == "PublicTest" and name:
                images.append(np.array(row["pixels"].split(), np.uint8).reshape(48, 48))
                names.append(name)
    return np.stack(images), names


def detectable(images: np.ndarray, pad: float, bg: np.ndarray) -> np.ndarray:
    """Which faces the Haar cascade finds at all in a still image (lenient settings)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    canvas = cv2.cvtColor(cv2.resize(bg, (240, 240)), cv2.COLOR_BGR2GRAY)
    truth = np.array([60.0, 60.0, 120.0, 120.0])
    keep = np.zeros(len(images), bool)
    for i, face in enumerate(images):
        frame = cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)
        paste(frame, face, 60, 60, 120, pad)
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        hits = cascade.detectMultiScale(gray, 1.05, 3, minSize=(60, 60))
        keep[i] = any(iou(np.array(b, float), truth) > 0.3 for b in hits)
    return keep


def room(rng: np.random.Generator) -> np.ndarray:
    """A plausible, face-free interview room: wall gradient, door, picture, shelf, noise."""
    y = np.linspace(0, 1, H)[:, None, None]
    wall = np.array([170, 180, 190]) * (1 - 0.25 * y) + rng.normal(0, 1, (1, W, 3))
    img = np.broadcast_to(wall, (H, W, 3)).astype(np.float32).copy()
    for _ in range(4):
        x0, y0 = int(rng.integers(0, W - 120)), int(rng.integers(0, H - 120))
        x1, y1 = x0 + int(rng.integers(60, 200)), y0 + int(rng.integers(60, 240))
        cv2.rectangle(img, (x0, y0), (x1, y1), rng.uniform(40, 220, 3).tolist(), -1)
    img += rng.normal(0, 4, img.shape)
    return cv2.GaussianBlur(np.clip(img, 0, 255).astype(np.uint8), (5, 5), 0)


def paste(frame: np.ndarray, face: np.ndarray, x: int, y: int, side: int, pad: float) -> None:
    """Face (48x48) scaled to `side` px at (x, y), its replicated border feathered outwards."""
    p = int(round(48 * pad))
    big = cv2.copyMakeBorder(face, p, p, p, p, cv2.BORDER_REPLICATE) if p else face
    full = int(round(side * (48 + 2 * p) / 48))
    big = cv2.resize(big, (full, full), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    off = (full - side) // 2
    d = np.minimum.outer(np.arange(full), np.arange(full))
    d = np.minimum(d, d[::-1, ::-1])  # distance to the nearest patch edge
    alpha = np.clip(d / max(off, 1), 0, 1) if off else np.ones((full, full))
    x0, y0 = x - off, y - off
    fx0, fy0 = max(0, x0), max(0, y0)  # the padded border may leave the frame
    fx1, fy1 = min(W, x0 + full), min(H, y0 + full)
    a = alpha[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0, None]
    b = big[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0, None]
    roi = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    frame[fy0:fy1, fx0:fx1] = (roi * (1 - a) + b * a).astype(np.uint8)


def build_clip(images, names, out: Path, args, rng) -> tuple[list, np.ndarray]:
    """Write the clip; return per frame (truth name, truth box) or None for no face, and the
    indices of the images used."""
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    if not writer.isOpened():
        raise SystemExit("cannot write an mp4v clip with this OpenCV")
    truth: list[tuple[str, tuple] | None] = []
    order = rng.permutation(len(images))
    if not args.all_faces:
        keep = detectable(images[order[: args.faces * 3 // 2]], args.pad, room(rng))
        kept = order[: args.faces * 3 // 2][keep]
        for name in sorted(set(names)):
            n_all = sum(names[i] == name for i in order[: len(keep)])
            n_kept = sum(names[i] == name for i in kept)
            share = 100 * n_kept / max(n_all, 1)
            print(f"detectable      {name:9s} {n_kept}/{n_all} ({share:.0f} %)")
        order = kept
    order = order[: args.faces]
    shots = [order[i:i + args.faces_per_shot] for i in range(0, len(order), args.faces_per_shot)]
    gap = int(args.gap_s * FPS)
    for shot in shots:
        bg = room(rng)
        s0, s1 = rng.uniform(args.min_size, args.max_size, 2)
        margin = args.max_size // 2 + 2  # the face itself stays inside the frame
        c0, c1 = (rng.uniform([margin, margin], [W - margin, H - margin], (2, 2)))
        n = len(shot) * args.frames_per_face
        for k in range(n):
            a = k / max(n - 1, 1)  # the face drifts and grows/shrinks through the shot
            side = int(round(s0 + (s1 - s0) * a))
            cx, cy = c0 + (c1 - c0) * a
            x, y = int(cx - side / 2), int(cy - side / 2)
            frame = bg.copy()
            i = shot[k // args.frames_per_face]
            paste(frame, images[i], x, y, side, args.pad)
            writer.write(frame)
            truth.append((names[i], (x, y, side, side)))
        for _ in range(gap):  # an empty room long enough for the track to be forgotten
            writer.write(bg)
            truth.append(None)
    writer.release()
    return truth, order


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="ONNX model (default: the shipped model)")
    ap.add_argument("--device", default="cpu", choices=("auto", "cpu", "gpu"))
    ap.add_argument("--data", type=Path, default=FER_CSV, help="fer2013.csv(.gz)")
    ap.add_argument("--faces", type=int, default=400, help="PublicTest faces to use")
    ap.add_argument("--frames-per-face", type=int, default=6)
    ap.add_argument("--faces-per-shot", type=int, default=50)
    ap.add_argument("--gap-s", type=float, default=2.5, help="empty room between shots")
    ap.add_argument("--min-size", type=int, default=80)
    ap.add_argument("--max-size", type=int, default=220)
    ap.add_argument("--pad", type=float, default=0.25, help="replicated border, x face side")
    ap.add_argument("--all-faces", action="store_true",
                    help="also faces the Haar cascade cannot find even in a still image")
    ap.add_argument("--smooth", type=float, default=0.0)
    ap.add_argument("--detector", choices=DETECTORS, default=DEFAULT_DETECTOR)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    quiet_native_logs()
    if not args.data.is_file():
        print(f"chain_accuracy: error: {args.data} not found", file=sys.stderr)
        return 1
    try:
        analyzer = Analyzer(args.model, device=args.device, smooth_s=args.smooth,
                            detector=args.detector)
    except CoreError as exc:
        print(f"chain_accuracy: error: {exc}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    images, names = load_public_test(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "chain.mp4"
        truth, used = build_clip(images, names, clip, args, rng)
        start = time.perf_counter()
        results = list(analyze_source(clip, analyzer))
        seconds = time.perf_counter() - start
    report(results, truth, images[used], [names[i] for i in used], analyzer, seconds)
    return 0


def report(results, truth, images, names, analyzer, seconds) -> None:
    face_frames = [(r, t) for r, t in zip(results, truth, strict=False) if t is not None]
    found = right = 0
    ratios, offsets = [], []
    for r, (name, box) in face_frames:
        p = r.patient
        if (p is None or not p.detected
                or iou(np.array(p.box, float), np.array(box, float)) < 0.3):
            continue  # no face, a held box (not classified), or a box somewhere else
        found += 1
        right += r.label == name
        ratios.append(box[2] / p.box[2])
        offsets.append(((box[0] + box[2] / 2 - p.box[0] - p.box[2] / 2) / p.box[2],
                        (box[1] + box[3] / 2 - p.box[1] - p.box[3] / 2) / p.box[3]))
    # Empty-room frames: a face shown within the tracker's hold time after the last real face
    # is the deliberate anti-flicker hold; later ones are false detections.
    hold, since, held, false, empty = analyzer.config.tracker.hold_s, 1e9, 0, 0, 0
    for r, t in zip(results, truth, strict=False):
        since = 0.0 if t is not None else since + 1 / FPS
        if t is None:
            empty += 1
            held += r.has_face and since <= hold + 1e-6
            false += r.has_face and since > hold + 1e-6
    n = max(len(face_frames), 1)
    direct = analyzer.classifier.predict(np.stack([prepare_face(im)[..., None] for im in images]))
    direct_acc = np.mean([analyzer.classes[k] == name
                          for name, k in zip(names, direct.argmax(1), strict=True)])
    print(f"detector {analyzer.detector_name}: frames {len(results)} "
          f"({len(face_frames)} with a face), "
          f"{len(results) / seconds:.0f} frames/s incl. decode; provider {analyzer.provider}")
    print(f"face found      {100 * found / n:.1f} % of face frames")
    print(f"labelled right  {100 * right / n:.1f} % of face frames "
          f"({100 * right / max(found, 1):.1f} % of found)")
    print(f"model alone     {100 * direct_acc:.1f} % on the same {len(names)} 48x48 images")
    print(f"empty room      {empty} frames: {100 * false / max(empty, 1):.1f} % with a false "
          f"face, {100 * held / max(empty, 1):.1f} % still holding the face just gone "
          f"(hold {hold:g} s)")
    if ratios:
        med, (dx, dy) = float(np.median(ratios)), np.median(np.array(offsets), axis=0)
        print(f"box vs truth    FER side / box side {med:.3f} (margin {(med - 1) / 2:+.3f} "
              f"would match), centre offset {dx:+.3f}, {dy:+.3f} x side")


if __name__ == "__main__":
    sys.exit(main())
