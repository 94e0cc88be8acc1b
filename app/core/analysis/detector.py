"""Face detectors behind one small interface: `scan` the whole frame, `search` near a face.

`--detector` picks one (DETECTORS):
- `blazeface`: MediaPipe's BlazeFace CNN (blazeface.py): full-range model over the whole
  frame, short-range model on a crop around a known face. Finds turned and tilted faces and
  gives eye/nose/mouth keypoints, used to level and frame the crop (preprocess.py).
- `haar`: OpenCV's frontal-face Haar cascades (haar.py): no keypoints, frontal faces only.
- `combined`: BlazeFace first, the Haar cascade as a second opinion where BlazeFace finds
  nothing (a scan or a search that came back empty).
The analyzer decides when to scan and when to search (analyzer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.analysis.blazeface import FULL, FULL_MODEL, SHORT, SHORT_MODEL, BlazeFaceModel
from app.core.analysis.detection import Detection
from app.core.analysis.haar import HaarDetector
from app.core.analysis.imaging import cut, shrink
from app.core.errors import CoreError

__all__ = ["Detection", "DETECTORS", "make_detector"]
DETECTORS = ("blazeface", "haar", "combined")
DEFAULT_DETECTOR = "combined"


@dataclass
class BlazeFaceConfig:
    min_score: float = 0.5  # MediaPipe's default min_detection_confidence
    strong_score: float = 0.75  # shown at once; weaker ones need a second frame
    search_scale: float = 2.0  # search crop side, x the face's side (face fills half of it)
    # One ORT thread: in analyze_source the other core classifies the frame before and
    # decodes the next ones (two: median 264-273 frames/s against 308-315, 640x360).
    threads: int = 1
    # The full-range model finds faces down to ~15 px of its 192-px input (100 % of faces
    # >= 15 px, 60 % at 9 px on the stock clip pasted small): a scan cuts the frame into
    # overlapping tiles small enough that the smallest wanted face is this big in the input.
    min_face_input_px: float = 16.0
    max_tiles: int = 16


class BlazeFaceDetector:
    """BlazeFace: full-range scan (short-range too when the full-range finds nothing: very
    close faces), short-range search."""

    def __init__(self, models_dir: Path, device: str = "auto",
                 config: BlazeFaceConfig | None = None):
        self.config = config or BlazeFaceConfig()
        t = self.config.threads
        self._full = BlazeFaceModel(models_dir / FULL_MODEL, FULL, device, t)
        self._short = BlazeFaceModel(models_dir / SHORT_MODEL, SHORT, device, t)
        self.provider = self._full.provider

    def scan(self, frame: np.ndarray, gray: np.ndarray, min_face_px: float,
             still: bool = False) -> list[Detection]:
        """The whole frame at once; a still image also tile by tile, for faces too small for
        the whole frame's 192 px (in a video a scan must stay cheap, and tiles also showed
        the detector a cloud as a face in face_noface.mov)."""
        h, w = frame.shape[:2]
        found = self._run(self._full, frame, 0, 0, max(h, w))
        whole = len(found)
        if still:
            tiles = self._tiles(w, h, min_face_px)
            if len(tiles) > 1:
                for x0, y0, side in tiles:
                    found += self._run(self._full, frame, x0, y0, side)
        if not found:  # a face too close for the full-range model
            found = self._run(self._short, frame, 0, 0, max(h, w))
        kept: list[Detection] = []  # whole-frame detections first, then the best tiles'
        for d in found[:whole] + sorted(found[whole:], key=lambda d: -d.score):
            if d.box[3] >= min_face_px and all(_overlap(d.box, k.box) < 0.3 for k in kept):
                kept.append(d)
        return kept

    def _tiles(self, w: int, h: int, min_face_px: float) -> list[tuple[int, int, int]]:
        """Squares (x0, y0, side) covering the frame; each face >= min_face_px lies whole in
        one of them. One letterboxed square when the frame is small enough."""
        cfg = self.config
        side = int(max(min_face_px, 1.0) * FULL.side / cfg.min_face_input_px)
        if side >= max(w, h):
            return [(0, 0, max(w, h))]
        side = max(side, int(3 * min_face_px))
        overlap = int(min(2 * min_face_px, side / 2))

        def starts(n: int) -> list[int]:
            if side >= n:
                return [0]
            k = int(np.ceil((n - overlap) / (side - overlap)))
            return [round(v) for v in np.linspace(0, n - side, k)]

        tiles = [(x, y, min(side, max(w, h))) for y in starts(h) for x in starts(w)]
        if len(tiles) > cfg.max_tiles:  # a tiny wanted face in a huge frame: coarser
            return self._tiles(w, h, min_face_px * np.sqrt(len(tiles) / cfg.max_tiles))
        return tiles

    def search(self, frame: np.ndarray, gray: np.ndarray, box: Sequence[float]
               ) -> Detection | None:
        x, y, w, h = (float(v) for v in box)
        side = max(w, h) * self.config.search_scale
        x0, y0 = round(x + w / 2 - side / 2), round(y + h / 2 - side / 2)
        found = self._run(self._short, frame, x0, y0, round(side))
        centre = np.array([x + w / 2, y + h / 2])
        near = [d for d in found if 0.5 < d.box[2] / max(w, 1.0) < 2.0
                and np.linalg.norm(d.box[:2] + d.box[2:] / 2 - centre) < max(w, h)]
        return min(near, key=lambda d: np.linalg.norm(d.box[:2] + d.box[2:] / 2 - centre),
                   default=None)

    def _run(self, model: BlazeFaceModel, frame: np.ndarray, x0: int, y0: int, side: int
             ) -> list[Detection]:
        """Detections in the square (x0, y0, side) of the frame (black beyond the frame)."""
        s = model.spec.side
        region = cut(frame, x0, y0, x0 + side, y0 + side, black=True)
        square, scale = shrink(region, s / side)
        if square.shape[0] != s or square.shape[1] != s:  # upscale, or fix rounding
            square = _fit(square, s)
        cfg = self.config
        out = []
        for (bx0, by0, bx1, by1), kps, score in model.run(square, cfg.min_score):
            b = np.array([bx0, by0, bx1 - bx0, by1 - by0]) * side + [x0, y0, 0, 0]
            out.append(Detection(b, score, kps * side + [x0, y0], score >= cfg.strong_score))
        return out


def _fit(img: np.ndarray, side: int) -> np.ndarray:
    import cv2

    return cv2.resize(img, (side, side), interpolation=cv2.INTER_LINEAR)


class CombinedDetector:
    """BlazeFace first; the Haar cascade where BlazeFace found nothing: a search that came
    back empty, or a scan region without a BlazeFace face."""

    def __init__(self, blaze: BlazeFaceDetector, haar: HaarDetector):
        self._blaze, self._haar = blaze, haar
        self.provider = blaze.provider

    def scan(self, frame, gray, min_face_px, still=False) -> list[Detection]:
        found = self._blaze.scan(frame, gray, min_face_px, still)
        # A Haar face counts only where BlazeFace has none (its centre outside every box).
        return found + [h for h in self._haar.scan(frame, gray, min_face_px, still)
                        if not any(_inside(h.box, b.box) for b in found)]

    def search(self, frame, gray, box) -> Detection | None:
        found = self._blaze.search(frame, gray, box)
        return found if found is not None else self._haar.search(frame, gray, box)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller box (a face cut by a tile edge is inside the whole one)."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return float(ix * iy / max(min(a[2] * a[3], b[2] * b[3]), 1e-6))


def _inside(a: np.ndarray, b: np.ndarray) -> bool:
    """The centre of box a lies inside box b."""
    cx, cy = a[0] + a[2] / 2, a[1] + a[3] / 2
    return bool(b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3])


def models_dir() -> Path:
    """Where the face-detector ONNX files are: beside the default classifier model."""
    from app.core.paths import default_model_path

    return default_model_path().parent


def make_detector(name: str = DEFAULT_DETECTOR, device: str = "auto",
                  directory: Path | None = None):
    """The detector called `name` (one of DETECTORS). Raises CoreError (one line) for an
    unknown name or a missing/corrupt model file."""
    if name not in DETECTORS:
        raise CoreError(f"unknown face detector {name!r} (choose one of {', '.join(DETECTORS)})")
    if name == "haar":
        return HaarDetector()
    blaze = BlazeFaceDetector(directory or models_dir(), device)
    return blaze if name == "blazeface" else CombinedDetector(blaze, HaarDetector())
