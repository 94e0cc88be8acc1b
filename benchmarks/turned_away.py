"""When a face counts as turned away (issue 29): the rule, measured on what can be had.

The head turn is read twice (app/core/analysis/head_pose.py): BlazeFace's keypoints give a
yaw, the face mesh (face_mesh.py) a second yaw and a presence score. A face is turned away at
|yaw| >= a limit (the farther of the two readings) or presence below a limit. This measures
each part and the shipped rule:

1. hand-judged FER-2013 faces (benchmarks/head_pose_labels.json: two blind draws, judged
   frontal / about 30-60 degrees / profile by eye), enlarged to 200 px in a 640x360 frame and
   read as stills as the app reads them: per rule, the share of profiles caught and of the
   30-60 degree faces flagged, as drawn and weighted to FER-2013's own mix (each draw's
   strata, see the JSON);
2. FER-2013 as a whole (every face BlazeFace finds, pasted the same way): the share each rule
   turns away;
3. real near-frontal faces under what cameras do to them: the stock media through the
   analyzer as `fer-analyze` runs it, unchanged and with each frame down-scaled, blurred,
   darkened or brightened, noisy and JPEG-compressed at random: frames turned away (want 0);
4. cost: the face mesh per face, in ms, and the chain's frames/s with and without it.

    python benchmarks/turned_away.py [--media ../shared/media]
        [--fer ../shared/data/fer2013/fer2013.csv.gz] [--cues cues.npy]

`--cues` caches part 2's readings (about 10 minutes for 35,887 faces on 2 cores).
Parts that need ../shared are skipped with a line when it is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis.analyzer import Analyzer, AnalyzerConfig  # noqa: E402
from app.core.analysis.detector import make_detector, models_dir  # noqa: E402
from app.core.analysis.face_mesh import MESH_MODEL, FaceMesh  # noqa: E402
from app.core.analysis.head_pose import (  # noqa: E402
    PRESENCE_LIMIT,
    TURNED_LIMIT_DEG,
    TurnConfig,
    TurnGate,
    head_yaw,
    yaw_deg,
)
from app.core.analysis.pipeline import analyze_source  # noqa: E402
from benchmarks.head_pose import LABELS, load_fer, pasted  # noqa: E402

SHARED = REPO.parent / "shared"
YAW_LIMITS = (45, 50, 55, 60)
PRESENCE_LIMITS = (0.0, 0.3, 0.5, 0.7)


class Reader:
    """BlazeFace yaw, mesh yaw and presence of the best face in a still, as the app reads."""

    def __init__(self):
        self.detector = make_detector("combined", "cpu")
        self.mesh = FaceMesh(models_dir() / MESH_MODEL, "cpu")

    def __call__(self, frame: np.ndarray, min_face_px: float = 40) -> tuple[float, ...]:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        best = max(self.detector.scan(frame, gray, min_face_px), key=lambda d: d.score,
                   default=None)
        if best is None:
            return (np.nan, np.nan, np.nan)
        kps = best.keypoints if best.pose_keypoints is None else best.pose_keypoints
        blaze = yaw_deg(kps)
        reading = self.mesh.read(frame, best.box, best.keypoints)
        return (np.nan if blaze is None else blaze, reading.yaw_deg, reading.presence)


def turned(cues: np.ndarray, yaw_limit: float, presence_limit: float) -> np.ndarray:
    """Which faces [N, 3] (blaze yaw, mesh yaw, presence; NaN: not found) the app's gate
    turns away as still images, with these limits."""
    config = TurnConfig(limit_deg=yaw_limit, release_deg=yaw_limit,
                        presence_limit=presence_limit, presence_release=presence_limit)
    out = []
    for b, m, p in cues:
        found = not np.isnan(m)
        yaw = head_yaw(None if np.isnan(b) else b, m if found else None)
        out.append(TurnGate(config).update(0, yaw, presence=p if found else None))
    return np.array(out)


def judged(images: np.ndarray, reader: Reader) -> None:
    data = json.loads(LABELS.read_text(encoding="utf-8"))
    faces = data["faces"]
    cues = np.array([reader(pasted(images[f["row"]])) for f in faces])
    found = np.isfinite(cues[:, 1])
    label = np.array([f["label"] for f in faces])
    weight = np.array([f["weight"] for f in faces], float)
    draw = np.array([f["draw"] for f in faces])
    print(f"\n1. {len(faces)} hand-judged FER-2013 faces in {len(set(draw))} draws "
          f"({found.sum()} found): {int((label == 'P').sum())} profiles, "
          f"{int(((label == 'H') | (label == 'F')).sum())} frontal or 30-60 deg, "
          f"{int((label == 'X').sum())} not judgeable")
    for name, sel in (("all draws", np.ones(len(faces), bool)),
                      *((f"draw {d}", draw == d) for d in sorted(set(draw)))):
        prof = sel & found & (label == "P")
        half = sel & found & (label == "H")
        front = sel & found & (label == "F")
        print(f"   {name}: {prof.sum()} profiles, {half.sum()} at 30-60 deg, {front.sum()} "
              f"frontal; caught / flagged as drawn (weighted to FER-2013's mix)")
        print(f"   {'yaw limit':>9} {'presence <':>10} {'profiles':>15} {'30-60 deg':>15} "
              f"{'frontal':>15}")
        for yl in YAW_LIMITS:
            for pl in PRESENCE_LIMITS:
                hit = turned(cues, yl, pl)
                mark = "  <- shipped" if (yl, pl) == (TURNED_LIMIT_DEG, PRESENCE_LIMIT) else ""
                print(f"   {yl:>9} {pl:>10} {_rate(hit, prof, weight):>15} "
                      f"{_rate(hit, half, weight):>15} {_rate(hit, front, weight):>15}{mark}")
    missed = found & (label == "P") & ~turned(cues, TURNED_LIMIT_DEG, PRESENCE_LIMIT)
    print("   profiles the shipped rule misses (row: blaze yaw, mesh yaw, presence): "
          + ", ".join(f"{faces[i]['row']}: {cues[i, 0]:.0f}, {cues[i, 1]:.0f}, "
                      f"{cues[i, 2]:.2f}" for i in np.flatnonzero(missed)))


def _rate(hit: np.ndarray, sel: np.ndarray, weight: np.ndarray) -> str:
    if not sel.any():
        return "-"
    w = np.sum(weight[sel] * hit[sel]) / np.sum(weight[sel])
    return f"{hit[sel].mean():.0%} ({w:.0%})"


def whole_fer(images: np.ndarray, reader: Reader, cache: Path | None) -> None:
    if cache is not None and cache.exists():
        cues = np.load(cache)
    else:
        cues = np.array([reader(pasted(img)) for img in images])
        if cache is not None:
            np.save(cache, cues)
    found = np.isfinite(cues[:, 1])
    print(f"\n2. FER-2013 as a whole: {found.sum():,} of {len(images):,} faces found; share "
          "turned away per rule")
    print(f"   {'yaw limit':>9} " + " ".join(f"{'presence <' + str(p):>15}"
                                             for p in PRESENCE_LIMITS))
    for yl in YAW_LIMITS:
        print(f"   {yl:>9} " + " ".join(f"{turned(cues[found], yl, p).mean():>15.1%}"
                                        for p in PRESENCE_LIMITS))
    both = found & (np.abs(cues[:, 0]) < 40) & (np.abs(cues[:, 1]) < 40)
    diff = cues[both, 1] - cues[both, 0]
    slope = np.polyfit(cues[both, 0], cues[both, 1], 1)[0]
    print(f"   where both yaws are under 40 deg ({both.sum():,} faces): mesh - blaze median "
          f"{np.median(diff):+.1f} deg, |difference| median {np.median(np.abs(diff)):.1f}, "
          f"slope of mesh on blaze {slope:.2f}")


def camera(rng: np.random.Generator) -> dict:
    """One worse camera and stream, drawn at random: smaller, softer, darker or brighter,
    noisier, JPEG-compressed."""
    return {"scale": rng.uniform(0.35, 1.0), "blur": rng.choice([0.0, rng.uniform(0.5, 2.0)]),
            "gamma": rng.uniform(0.6, 1.6), "noise": rng.uniform(0, 8),
            "jpeg": int(rng.integers(30, 91))}


def camera_like(frame: np.ndarray, cam: dict, rng: np.random.Generator) -> np.ndarray:
    h, w = frame.shape[:2]
    f = cv2.resize(frame, (max(2, int(w * cam["scale"])), max(2, int(h * cam["scale"]))),
                   interpolation=cv2.INTER_AREA)
    if cam["blur"] > 0:
        f = cv2.GaussianBlur(f, (0, 0), cam["blur"])
    f = 255.0 * (f.astype(np.float32) / 255.0) ** cam["gamma"]
    f = np.clip(f + rng.normal(0, cam["noise"], f.shape), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, cam["jpeg"]])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _write_changed(src: Path, dst: Path, seed: int) -> tuple[Path, dict]:
    rng = np.random.default_rng(seed)
    cam = camera(rng)
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    out = None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frame = camera_like(frame, cam, rng)
        if out is None:
            out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"MJPG"), fps,
                                  (frame.shape[1], frame.shape[0]))
        out.write(frame)
    cap.release()
    if out is not None:
        out.release()
    return dst, cam


def media(media_dir: Path) -> None:
    print("\n3. real near-frontal faces through the analyzer (as fer-analyze runs them): "
          "frames turned away")
    analyzer, reader = Analyzer(), Reader()
    clip = media_dir / "WolfgangLanger_Pexels.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        sources = [(media_dir / n, None) for n in ("WolfgangLanger_Pexels.mp4",
                                                   "face_noface.mov", "multi_face.jpg")]
        if clip.exists():
            sources += [_write_changed(clip, Path(tmp) / f"camera{s}.avi", s) for s in range(6)]
        for path, cam in sources:
            if not path.exists():
                print(f"   {path.name}: missing, skipped")
                continue
            results = list(analyze_source(str(path), analyzer))
            low = _lowest_presence(path, reader)
            faces = [f for r in results for f in r.faces if f.detected]
            yaws = np.abs([f.yaw_deg for f in faces if f.yaw_deg is not None])
            pct = np.round(np.percentile(yaws, [50, 95, 100]), 1).tolist() if len(yaws) else []
            away = sum(f.turned_away for f in faces)
            name = path.name if cam is None else (
                f"stock clip, {path.stem} (x{cam['scale']:.2f}, blur {cam['blur']:.1f}, gamma "
                f"{cam['gamma']:.2f}, noise {cam['noise']:.1f}, JPEG {cam['jpeg']})")
            print(f"   {name}: {len(results)} frames, {len(faces)} detected faces, turned away "
                  f"{away} ({away / max(len(faces), 1):.1%}); |yaw| median/95th/max {pct}; "
                  f"lowest presence {low:.2f}")


def _lowest_presence(path: Path, reader: Reader, every: int = 5) -> float:
    """The lowest face-mesh presence of the best face in every `every`-th frame."""
    low = 1.0
    cap = cv2.VideoCapture(str(path))
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            presence = reader(frame, 0.03 * frame.shape[0])[2]
            low = min(low, presence) if np.isfinite(presence) else low
        i += 1
    cap.release()
    return low


def cost(media_dir: Path) -> None:
    clip = media_dir / "WolfgangLanger_Pexels.mp4"
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    cap.release()
    if not ok:
        print(f"\n4. {clip}: missing, cost skipped")
        return
    reader = Reader()
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    face = max(reader.detector.scan(frame, gray, 40), key=lambda d: d.score)
    reader.mesh.read(frame, face.box, face.keypoints)
    t0 = time.perf_counter()
    for _ in range(200):
        reader.mesh.read(frame, face.box, face.keypoints)
    mesh_ms = (time.perf_counter() - t0) / 200 * 1000
    fps = {}
    for on in (False, True):
        analyzer = Analyzer(config=AnalyzerConfig(face_mesh=on))
        list(analyze_source(str(clip), analyzer))  # warm
        t0 = time.perf_counter()
        n = sum(1 for _ in analyze_source(str(clip), analyzer))
        fps[on] = n / (time.perf_counter() - t0)
    print(f"\n4. cost: face mesh {mesh_ms:.1f} ms per face (one thread, crop included); "
          f"the chain on the stock clip (640x360) {fps[False]:.0f} frames/s without the mesh, "
          f"{fps[True]:.0f} with it (read every {AnalyzerConfig().mesh_every_s:g} s per face); "
          f"load average {', '.join(f'{v:.1f}' for v in __import__('os').getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--media", type=Path, default=SHARED / "media")
    p.add_argument("--fer", type=Path, default=SHARED / "data" / "fer2013" / "fer2013.csv.gz")
    p.add_argument("--cues", type=Path, help="cache of part 2's readings (.npy)")
    args = p.parse_args(argv)
    print(f"turned away at |yaw| >= {TURNED_LIMIT_DEG:g} deg (the farther of BlazeFace's and "
          f"the mesh's reading) or face-mesh presence < {PRESENCE_LIMIT:g}")
    if args.fer.exists():
        images = load_fer(args.fer)
        reader = Reader()
        judged(images, reader)
        whole_fer(images, reader, args.cues)
    else:
        print(f"{args.fer}: missing; FER-2013 parts skipped")
    if args.media.exists():
        media(args.media)
        cost(args.media)
    else:
        print(f"{args.media}: missing; media parts skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
