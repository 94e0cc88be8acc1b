"""Face detection and patient labelling on real media, per `--detector` option, side by side.

No held-out photographs ship with the repo, so this measures what can be built from the stock
media of ../shared/media:
- the stock files as they are: the one-face clip (share of frames with the face detected and
  the patient labelled), `no_face.mp4` (frames with a false face), `face_noface.mov` (frames
  with a face detected after the person has left: after the first run of 5 frames without a
  face in every detector's view), `multi_face.jpg` (faces found);
- stills made from every 8th frame of the one-face clip: as is, rolled +-30 deg, squeezed
  to 70 % of their width (a crude stand-in for a head turned ~45 deg), small (the face about
  40 px tall in a 1280x720 frame) and dim (gamma 2.2, contrast halved): share of stills with
  a face found (for the small one: inside the pasted clip frame);
- "seat shifts": the one-face clip pasted into a 1280x720 frame that jumps to another place
  every 2 s (the person moves seat): share of frames in which the patient is labelled.

    python benchmarks/detector_media.py [--media ../shared/media]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.analyzer import Analyzer  # noqa: E402
from app.core.analysis.classifier import EmotionClassifier  # noqa: E402
from app.core.analysis.detector import DETECTORS  # noqa: E402
from app.core.analysis.pipeline import analyze_source  # noqa: E402
from app.core.analysis.sources import open_source, quiet_native_logs  # noqa: E402
from benchmarks.chain_accuracy import room  # noqa: E402

MEDIA = REPO.parent / "shared" / "media"
CLIP = "WolfgangLanger_Pexels.mp4"
W, H = 1280, 720


def clip_frames(path: Path) -> list[np.ndarray]:
    with open_source(path) as src:
        return [f.image for f in src]


def variants(frame: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The frame as is and changed in the ways a far or odd camera changes a face."""
    h, w = frame.shape[:2]
    out = {"as is": frame}
    for deg in (30, -30):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
        out[f"roll {deg:+d}"] = cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    squeezed = cv2.resize(frame, (int(w * 0.7), h), interpolation=cv2.INTER_AREA)
    out["squeezed 70 %"] = cv2.copyMakeBorder(squeezed, 0, 0, (w - squeezed.shape[1]) // 2,
                                              w - squeezed.shape[1] - (w - squeezed.shape[1]) // 2,
                                              cv2.BORDER_REFLECT)
    canvas = cv2.resize(room(rng), (W, H))  # a face-free room (chain_accuracy.py)
    k = 40 / (0.55 * h)  # the face is about 55 % of the clip's height
    small = cv2.resize(frame, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    x, y = int(rng.integers(0, W - small.shape[1])), int(rng.integers(0, H - small.shape[0]))
    canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
    out["small (40 px)"] = canvas
    out["_small_at"] = np.array([x, y, small.shape[1], small.shape[0]])
    dim = 255 * (frame / 255.0) ** 2.2
    out["dim"] = np.clip(dim * 0.5 + 40, 0, 255).astype(np.uint8)
    return out


def seat_shift_clip(frames: list[np.ndarray], out: Path, fps: float, rng) -> Path:
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (W, H))
    h, w = frames[0].shape[:2]
    scale = 0.5 * H / h
    bg = cv2.resize(room(rng), (W, H))
    x = y = 0
    for i, f in enumerate(frames):
        if i % int(2 * fps) == 0:
            x, y = int(rng.integers(0, W - w * scale)), int(rng.integers(0, H - h * scale))
        small = cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frame = bg.copy()
        frame[y:y + small.shape[0], x:x + small.shape[1]] = small
        writer.write(frame)
    writer.release()
    return out


def stills_found(an: Analyzer, frames: list[np.ndarray], rng_seed: int) -> dict[str, float]:
    rng = np.random.default_rng(rng_seed)
    hits: dict[str, list[bool]] = {}
    for f in frames:
        v = variants(f, rng)
        at = v.pop("_small_at")
        for name, img in v.items():
            an.reset(still=True)
            r = an.process(img, 0, 0.0)
            ok = r.has_face
            if name.startswith("small"):  # the face, not the blurred big one behind it
                ok = any(f.detected and at[0] <= f.box[0] + f.box[2] / 2 <= at[0] + at[2]
                         and at[1] <= f.box[1] + f.box[3] / 2 <= at[1] + at[3] for f in r.faces)
            hits.setdefault(name, []).append(ok)
    return {k: float(np.mean(v)) for k, v in hits.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--media", type=Path, default=MEDIA)
    ap.add_argument("--model", type=Path, help="ONNX model (default: the shipped model)")
    args = ap.parse_args(argv)
    quiet_native_logs()
    if not (args.media / CLIP).is_file():
        print(f"detector_media: error: {args.media / CLIP} not found", file=sys.stderr)
        return 1
    clf = EmotionClassifier(args.model, device="cpu")
    ans = {d: Analyzer(classifier=clf, device="cpu", detector=d) for d in DETECTORS}
    frames = clip_frames(args.media / CLIP)
    rows: dict[str, dict[str, str]] = {d: {} for d in DETECTORS}
    runs = {d: {f: list(analyze_source(args.media / f, an)) for f in
                (CLIP, "no_face.mp4", "face_noface.mov", "multi_face.jpg")}
            for d, an in ans.items()}
    # face_noface.mov: the person has left after the first 5 frames no detector sees a face in
    seen = np.array([[r.has_face for r in runs[d]["face_noface.mov"]] for d in DETECTORS])
    anyone = seen.any(axis=0)
    gone = next(i for i in range(len(anyone)) if not anyone[i:i + 5].any())
    with tempfile.TemporaryDirectory() as tmp:
        shift = seat_shift_clip(frames, Path(tmp) / "shift.mp4", 24.0, np.random.default_rng(1))
        for d, an in ans.items():
            r = runs[d]
            one = r[CLIP]
            row = rows[d]
            found = np.mean([x.has_face for x in one])
            row["one-face clip: face detected"] = f"{100 * found:.1f} %"
            rows[d]["one-face clip: patient labelled"] = (
                f"{100 * np.mean([x.label is not None for x in one]):.1f} %")
            row["no_face.mp4: frames with a face"] = str(sum(x.has_face for x in r["no_face.mp4"]))
            after = r["face_noface.mov"][gone:]
            row[f"face_noface.mov: face after frame {gone}"] = str(sum(x.has_face for x in after))
            rows[d]["multi_face.jpg: faces"] = str(r["multi_face.jpg"][0].n_detected)
            for k, v in stills_found(an, frames[::8], 0).items():
                rows[d][f"stills {k}: found"] = f"{100 * v:.1f} %"
            res = list(analyze_source(shift, an))
            rows[d]["seat shifts: patient labelled"] = (
                f"{100 * np.mean([x.label is not None for x in res]):.1f} %")
    print(f"{'':42s}" + "".join(f"{d:>12s}" for d in DETECTORS))
    for key in rows[DETECTORS[0]]:
        print(f"{key:42s}" + "".join(f"{rows[d][key]:>12s}" for d in DETECTORS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
