"""Faces as a real camera and the live chain hand them to the classifier, not as FER-2013 has them.

The int8 model is calibrated and judged on these, because FER-2013's own images flattered it:
it lost 0.5 point on PublicTest and 3.2 on real photographs (10 on one frontal set). Two sources:

- `camera_like(images, rng)`: FER-2013 faces put through what a camera and the chain do to a
  face: resampled from a smaller or larger face (down- and up-scaling), blur, JPEG at webcam
  qualities, gamma, sensor noise, a small rotation with a slightly different framing; then
  `prepare_face` (the chain's linear contrast stretch) exactly as the app does.
- `chain_crops(paths)`: the crops the detector and aligner cut from real video and photos (the
  stock media), via the app's own `Analyzer.detect` and `face_batch`.

Both are uint8 `[N, 48, 48, 1]`, the input the model contract takes (float 0-255 after casting).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

SIDE = 48


def camera_like(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random camera-like version of each `[N,48,48,1]` uint8 face (see module docstring)."""
    from app.core.analysis.preprocess import prepare_face

    out = np.empty_like(images)
    for i, img in enumerate(np.asarray(images)[..., 0]):
        out[i, :, :, 0] = np.round(prepare_face(_change(img, rng))).astype(np.uint8)
    return out


def _change(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = img.astype(np.float32)
    # the face's size in the camera: 14-40 px faces are blown up, 60-160 px ones shrunk
    side = int(rng.choice([rng.integers(14, 41), rng.integers(60, 161)]))
    f = cv2.resize(f, (side, side), interpolation=cv2.INTER_AREA if side < SIDE
                   else cv2.INTER_CUBIC)
    if rng.random() < 0.5:
        sigma = rng.uniform(0.3, 1.5) * side / SIDE  # out of focus / motion-smoothed
        f = cv2.GaussianBlur(f, (0, 0), sigma)
    # rotation and framing: the aligner levels eyes to within a few degrees and frames within
    # a few per cent of the FER framing
    angle, scale = rng.uniform(-8, 8), rng.uniform(0.92, 1.08)
    shift = rng.uniform(-0.04, 0.04, 2) * side
    m = cv2.getRotationMatrix2D((side / 2, side / 2), angle, scale)
    m[:, 2] += shift
    f = cv2.warpAffine(f, m, (side, side), flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    # exposure: gamma of a dim or bright room, then sensor noise
    f = 255.0 * (np.clip(f, 0, 255) / 255.0) ** rng.uniform(0.6, 1.6)
    f = f + rng.normal(0, rng.uniform(0, 8), f.shape)
    u8 = np.clip(np.round(f), 0, 255).astype(np.uint8)
    if rng.random() < 0.7:  # webcam / stream compression
        ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 91))])
        u8 = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return u8


def chain_crops(paths: Iterable[str | Path], *, every: int = 1, detector: str = "combined",
                max_frames: int | None = None) -> np.ndarray:
    """The detected faces of every `every`-th frame of each video/image, cut as the app cuts
    them (`Analyzer.detect` + `face_batch`), uint8 `[N,48,48,1]`."""
    from app.core.analysis.analyzer import Analyzer
    from app.core.analysis.preprocess import face_batch
    from app.core.analysis.sources import open_source

    analyzer = None
    crops: list[np.ndarray] = []
    for path in paths:
        if analyzer is None:
            analyzer = Analyzer(detector=detector, device="cpu")
        src = open_source(str(path))
        analyzer.reset(still=src.is_still if hasattr(src, "is_still") else False)
        with src:
            for frame in src:
                if max_frames is not None and frame.index >= max_frames:
                    break
                d = analyzer.detect(frame.image, frame.index, frame.time_s)
                if frame.index % every:
                    continue
                seen = [t for t in d.tracks if t.detected]
                if seen:
                    batch = face_batch(d.gray, [t.box for t in seen],
                                       keypoints=[t.keypoints for t in seen])
                    crops.append(np.round(batch).astype(np.uint8))
    if not crops:
        return np.zeros((0, SIDE, SIDE, 1), np.uint8)
    return np.concatenate(crops)
