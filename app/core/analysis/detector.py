"""Face detectors behind one small interface: `scan` the whole frame, `search` near a face.

`--detector` picks one (DETECTORS):
- `blazeface`: MediaPipe's BlazeFace CNN (blazeface.py): full-range model over the whole
  frame, short-range model on a crop around a known face. Finds turned and tilted faces and
  gives eye/nose/mouth keypoints, used to level and frame the crop (preprocess.py). Head yaw
  (head_pose.py) is measured on the short-range model's keypoints with the face framed as in a
  search, also for a face a scan found (one ~1 ms search each): the full-range model's
  keypoints of profiles are erratic (benchmarks/head_pose.py).
- `haar`: OpenCV's frontal-face Haar cascades (haar.py): no keypoints, frontal faces only.
- `combined`: BlazeFace first, the Haar cascade as a second opinion where BlazeFace finds
  nothing (a scan or a search that came back empty); the short-range model is tried on a Haar
  face for its yaw (with `haar` alone only the face mesh reads the turn: analyzer.py).
The analyzer decides when to scan and when to search (analyzer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.core.analysis.blazeface import FULL, FULL_MODEL, SHORT, SHORT_MODEL, BlazeFaceModel
from app.core.analysis.detection import Detection
from app.core.analysis.haar import HaarDetector
from app.core.analysis.imaging import cut, shrink
from app.core.errors import CoreError

__all__ = ["Detection", "DETECTORS", "make_detector"]
DETECTORS = ("blazeface", "haar", "combined")
DEFAULT_DETECTOR = "combined"
LEVEL_DEG = 10.0  # a face rolled more than this is levelled before its yaw is read


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
        for d in kept:  # head yaw from the short-range model framed as in a search
            if d.keypoints is not None and (d.pose_keypoints is None or _roll(d) > LEVEL_DEG):
                d.pose_keypoints = self.pose(frame, d.box, d.keypoints)
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
        best = min(near, key=lambda d: np.linalg.norm(d.box[:2] + d.box[2:] / 2 - centre),
                   default=None)
        if best is not None and _roll(best) > LEVEL_DEG:  # a tilted head: yaw from it levelled
            best.pose_keypoints = self.pose(frame, best.box, best.keypoints)
        return best

    def pose(self, frame: np.ndarray, box: Sequence[float], keypoints: np.ndarray | None
             ) -> np.ndarray | None:
        """Keypoints (frame pixels) of the short-range model on the face in `box` framed as in
        a search and levelled by the eye line of `keypoints`: what head yaw is measured on
        (head_pose.py; its constant was measured so). BlazeFace's keypoints drift with head
        roll (benchmarks/head_pose.py), so a tilted face is straightened first (`keypoints`
        None: taken as upright, e.g. a Haar box). None when the model finds no face there."""
        model = self._short
        s = model.spec.side
        x, y, w, h = (float(v) for v in box)
        side = max(w, h) * self.config.search_scale
        cx, cy = x + w / 2, y + h / 2
        roll = 0.0
        if keypoints is not None:
            eye = np.asarray(keypoints[1], float) - np.asarray(keypoints[0], float)
            roll = float(np.degrees(np.arctan2(eye[1], eye[0])))
        r = np.radians(roll)
        half = side / 2 * (abs(np.cos(r)) + abs(np.sin(r))) + 2
        x0, y0 = int(np.floor(cx - half)), int(np.floor(cy - half))
        region, k = shrink(cut(frame, x0, y0, int(np.ceil(cx + half)), int(np.ceil(cy + half)),
                               black=True), 2.0 * s / max(side, 1.0))
        centre = ((cx - x0) * k, (cy - y0) * k)
        m = cv2.getRotationMatrix2D(centre, roll, s / max(side * k, 1e-6))
        m[:, 2] += (s / 2 - centre[0], s / 2 - centre[1])
        square = cv2.warpAffine(region, m, (s, s), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT)
        found = model.run(square, self.config.min_score)
        if not found:
            return None
        _, kps, _ = min(found, key=lambda f: np.hypot(*((f[0][:2] + f[0][2:]) / 2 - 0.5)))
        back = cv2.invertAffineTransform(m)
        pts = kps * s @ back[:, :2].T + back[:, 2]  # input -> region pixels
        return pts / k + [x0, y0]

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
            points = kps * side + [x0, y0]
            out.append(Detection(b, score, points, score >= cfg.strong_score,
                                 points if model is self._short else None))
        return out


def _roll(d: Detection) -> float:
    """|Head roll| in degrees from a detection's eye line (0 without keypoints)."""
    if d.keypoints is None:
        return 0.0
    eye = np.asarray(d.keypoints[1], float) - np.asarray(d.keypoints[0], float)
    return abs(float(np.degrees(np.arctan2(eye[1], eye[0]))))


def _fit(img: np.ndarray, side: int) -> np.ndarray:
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
        return found + [self._with_pose(frame, h)
                        for h in self._haar.scan(frame, gray, min_face_px, still)
                        if not any(_inside(h.box, b.box) for b in found)]

    def search(self, frame, gray, box) -> Detection | None:
        found = self._blaze.search(frame, gray, box)
        if found is not None:
            return found
        haar = self._haar.search(frame, gray, box)
        return None if haar is None else self._with_pose(frame, haar)

    def _with_pose(self, frame, haar: Detection) -> Detection:
        """A Haar face with the head yaw BlazeFace can read on it (its crop keeps no keypoints:
        the Haar framing is the one the classifier's crops were measured on)."""
        haar.pose_keypoints = self._blaze.pose(frame, haar.box, None)
        return haar


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
