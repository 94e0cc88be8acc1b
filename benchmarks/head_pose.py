"""Head yaw from BlazeFace keypoints (app/core/analysis/head_pose.py), measured (issue 29).

No photographs with known head angles ship with the repo, so this measures what can be built:

1. calibration: on every FER-2013 face BlazeFace finds (short-range model, the 48-px face
   enlarged as in training/pose.py), the constant d/D of `yaw = atan(s / (d/D))` from the same
   faces' foreshortening (eye distance over the eye-to-mouth drop, against frontal faces), per
   band of nose offset `s`: a rigid head gives one constant in every band;
2. sign and roll: each face mirrored (the yaw must change sign) and turned in the image plane
   by +-15/30/45 degrees (head roll: the yaw must not move), found by a full scan as in the
   app: FER-2013 faces enlarged into a frame, and the stock clip's frames;
3. known angles on a made-up head: upright frontal frames of the stock clip re-rendered turned
   by 0-90 degrees (benchmarks/turned_render.py): the yaw read, and where faces stop being found;
4. (false turned-away on real near-frontal faces, under camera-like changes too: in
   benchmarks/turned_away.py);
5. a blind hand-judged FER-2013 sample (benchmarks/head_pose_labels.json, first draw: 80
   faces, 16 per band of estimated yaw, judged frontal / about 30-60 degrees / profile by eye
   from shuffled sheets): per limit, the share of profiles caught and of the 30-60 degree
   faces flagged, on the keypoints of the calibration. The turned-away rule as the app applies
   it (with the face mesh), on both draws: benchmarks/turned_away.py.

    python benchmarks/head_pose.py [--media ../shared/media]
        [--fer ../shared/data/fer2013/fer2013.csv.gz] [--fer-sample 1000]

Parts that need ../shared are skipped with a line when it is absent.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core.analysis import blazeface as bf  # noqa: E402
from app.core.analysis.detector import BlazeFaceDetector, models_dir  # noqa: E402
from app.core.analysis.head_pose import (  # noqa: E402
    NOSE_DEPTH,
    RELEASE_DEG,
    TURNED_LIMIT_DEG,
    yaw_deg,
)
from benchmarks.turned_render import turned  # noqa: E402

SHARED = REPO.parent / "shared"
LABELS = Path(__file__).with_name("head_pose_labels.json")
ROLLS = (-45, -30, -15, 15, 30, 45)
FACE_PX = 64  # the 48-px FER face enlarged to this many px of the 128-px input (training/pose.py)


def load_fer(path: Path) -> np.ndarray:
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.reader(f))[1:]
    return np.array([np.array(r[1].split(), np.uint8).reshape(48, 48) for r in rows])


class FerKeypoints:
    """BlazeFace short-range keypoints of a 48-px face framed as a search (training/pose.py)."""

    def __init__(self):
        self.model = bf.BlazeFaceModel(models_dir() / bf.SHORT_MODEL, bf.SHORT, "cpu")

    def __call__(self, face: np.ndarray):
        side = self.model.spec.side
        pad = (side * 48 // FACE_PX - 48) // 2
        big = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        found = self.model.run(cv2.resize(big, (side, side), interpolation=cv2.INTER_CUBIC), 0.5)
        return max(found, key=lambda d: d[2])[1] if found else None


def foreshortening(kps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nose offset s in eye distances, eye distance / eye-to-mouth drop) per face [N, 6, 2]."""
    eye = kps[:, 1] - kps[:, 0]
    dist = np.hypot(eye[:, 0], eye[:, 1])
    ux = eye / dist[:, None]
    uy = np.stack([-ux[:, 1], ux[:, 0]], 1)
    mid = (kps[:, 0] + kps[:, 1]) / 2
    s = ((kps[:, 2] - mid) * ux).sum(1) / dist
    drop = ((kps[:, 3] - mid) * uy).sum(1)
    return s, dist / drop


def calibration(kps: np.ndarray) -> None:
    s, c = foreshortening(kps)
    c0 = float(np.median(c[np.abs(s) < 0.05]))
    print(f"\n1. calibration on {len(s):,} FER-2013 faces: frontal eye distance / mouth drop "
          f"{c0:.3f}")
    print(f"   {'|s| band':>10} {'faces':>6} {'cos from foreshortening':>24} {'yaw':>6} "
          f"{'d/D':>6}")
    for lo, hi in ((0.1, 0.2), (0.2, 0.3), (0.3, 0.45), (0.45, 0.7), (0.7, 1.2), (1.2, 9)):
        m = (np.abs(s) >= lo) & (np.abs(s) < hi)
        cos = min(1.0, float(np.median(c[m])) / c0)
        yaw = np.arccos(cos)
        k = float(np.median(np.abs(s[m]))) / max(np.tan(yaw), 1e-6)
        print(f"   {lo:>4}-{hi:<5} {m.sum():>6} {cos:>24.3f} {np.degrees(yaw):>6.1f} {k:>6.3f}")
    print(f"   shipped NOSE_DEPTH = {NOSE_DEPTH}")


def yaws_of(kps_list) -> np.ndarray:
    return np.array([np.nan if k is None else yaw_deg(k) for k in kps_list], float)


def invariance(name: str, base: np.ndarray, mirrored: np.ndarray,
               rolled: dict[int, np.ndarray]) -> None:
    ok = np.isfinite(base) & np.isfinite(mirrored)
    turned = ok & (np.abs(base) >= 10)
    flips = np.mean(np.sign(base[turned]) != np.sign(mirrored[turned])) if turned.any() else 0
    err = np.abs(base[ok] + mirrored[ok])
    print(f"   {name}: mirrored, {ok.sum()} faces: |yaw + yaw(mirror)| median {np.median(err):.1f}"
          f" deg, 95th pct {np.percentile(err, 95):.1f}; opposite sign in {flips:.1%} of the "
          f"{turned.sum()} faces turned >= 10 deg")
    for roll, y in rolled.items():
        ok = np.isfinite(base) & np.isfinite(y)
        d = np.abs(y[ok] - base[ok])
        print(f"   {name}: rolled {roll:+d} deg, {ok.sum()} faces: |yaw change| median "
              f"{np.median(d):.1f}, 95th pct {np.percentile(d, 95):.1f} deg")


def pasted(face: np.ndarray, side: int = 200) -> np.ndarray:
    """A 48-px FER face enlarged to `side` px in a grey 640x360 frame (BGR)."""
    frame = np.full((360, 640), 110, np.uint8)
    frame[80:80 + side, 220:220 + side] = cv2.resize(face, (side, side),
                                                     interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def rolled(img: np.ndarray, angle: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def scan_yaw(det: BlazeFaceDetector, img: np.ndarray) -> float:
    """Yaw of the best face a full scan finds, as the app measures it (nan: none found)."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    best = max(det.scan(img, gray, 0.12 * img.shape[0]), key=lambda d: d.score, default=None)
    yaw = None if best is None else yaw_deg(best.pose_keypoints)
    return np.nan if yaw is None else yaw


def frames_invariance(name: str, frames: list[np.ndarray], det: BlazeFaceDetector) -> None:
    base = np.array([scan_yaw(det, f) for f in frames])
    mirrored = np.array([scan_yaw(det, f[:, ::-1].copy()) for f in frames])
    rolls = {r: np.array([scan_yaw(det, rolled(f, r)) for f in frames]) for r in ROLLS}
    invariance(name, base, mirrored, rolls)
    found = base[np.isfinite(base)]
    print(f"   {name}: yaw percentiles (5/50/95): "
          f"{np.round(np.nanpercentile(base, [5, 50, 95]), 1).tolist()}; |yaw| >= the limit "
          f"{np.mean(np.abs(found) >= TURNED_LIMIT_DEG):.1%} of {len(found)}")


def clip_frames(path: Path, every: int = 6) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            out.append(frame)
        i += 1
    cap.release()
    return out


def synthetic_turns(frames: list[np.ndarray], det: BlazeFaceDetector) -> None:
    """Upright frontal frames of the stock clip re-rendered turned by known angles."""
    base = []
    for frame in frames:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        best = max(det.scan(frame, gray, 40), key=lambda d: d.score, default=None)
        if best is None or best.pose_keypoints is None:
            continue
        eye = best.keypoints[1] - best.keypoints[0]
        if abs(yaw_deg(best.pose_keypoints)) < 6 and abs(np.degrees(np.arctan2(*eye[::-1]))) < 6:
            base.append((frame, best.keypoints))
    print(f"\n3. {len(base)} upright frontal frames of the stock clip re-rendered turned "
          "(benchmarks/turned_render.py: a made-up head, crude beyond 60 deg)")
    print(f"   {'true yaw':>8} {'found':>6} {'yaw median':>11} {'5th-95th pct':>14} "
          f"{'turned away':>12}")
    for true in (0, 15, -15, 30, -30, 45, -45, 60, 75, 90):
        ys = np.array([scan_yaw(det, turned(f, k, true)) for f, k in base])
        ok = np.isfinite(ys)
        if not ok.any():
            print(f"   {true:>8} {0:>6}")
            continue
        lo, hi = np.percentile(ys[ok], [5, 95])
        print(f"   {true:>8} {ok.sum():>6} {np.median(ys[ok]):>11.1f} {lo:>6.1f}-{hi:<7.1f} "
              f"{np.mean(np.abs(ys[ok]) >= TURNED_LIMIT_DEG):>12.0%}")


def hand_judged(kps_all: np.ndarray, found: np.ndarray) -> None:
    """The first blind draw (16 faces per band of estimated yaw) on its own 48-px keypoints;
    the turned-away rule on all draws, read as the app reads: benchmarks/turned_away.py."""
    data = json.loads(LABELS.read_text(encoding="utf-8"))
    first = [f for f in data["faces"] if f["draw"] == 1]
    rows = np.array([f["row"] for f in first])
    labels = np.array([f["label"] for f in first])
    stratum = np.array([f["stratum"] for f in first])
    weight = np.array([f["weight"] for f in first], float)
    keep = found[rows]
    yaw = np.abs(yaws_of(kps_all[r] if found[r] else None for r in rows))
    near = (labels == "H") | (labels == "F")
    prof = labels == "P"
    print(f"\n5. blind hand-judged FER-2013 sample, first draw ({keep.sum()} faces: "
          f"{near.sum()} frontal or 30-60 deg, {prof.sum()} profiles, "
          f"{(labels == 'X').sum()} not judgeable), on the calibration's keypoints")
    draw = next(d for d in data["draws"] if d["draw"] == 1)
    for b, (name, size) in enumerate(zip(draw["strata"], draw["sizes"], strict=True)):
        counts = {k: int((labels[stratum == b] == k).sum()) for k in "FHPX"}
        print(f"   {name} ({size} FER faces): {counts}")
    _rates(yaw, prof, near, weight, (45, 50, 55, 60, 65, 70))


def _rates(yaw, prof, near, weight, limits) -> None:
    """Profiles caught and 30-60 degree faces flagged per limit: in the sample as drawn, and
    weighted to FER-2013's own mix of estimated yaw (>= 25 deg; below it nothing is flagged)."""
    print(f"   {'limit':>6} {'profiles caught':>16} {'30-60 deg flagged':>18} "
          f"{'weighted: caught':>17} {'flagged':>8}")
    for limit in limits:
        hit = yaw >= limit
        wp = np.sum(weight[prof] * hit[prof]) / np.sum(weight[prof])
        wn = np.sum(weight[near] * hit[near]) / np.sum(weight[near])
        print(f"   {limit:>6} {hit[prof].mean():>16.0%} {hit[near].mean():>18.1%} "
              f"{wp:>17.0%} {wn:>8.1%}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--media", type=Path, default=SHARED / "media")
    p.add_argument("--fer", type=Path, default=SHARED / "data" / "fer2013" / "fer2013.csv.gz")
    p.add_argument("--fer-sample", type=int, default=1000,
                   help="FER-2013 faces for the mirror/roll test (all for the calibration)")
    args = p.parse_args(argv)
    print(f"yaw = atan(nose offset / {NOSE_DEPTH}); turned away from {TURNED_LIMIT_DEG:g} deg, "
          f"back below {RELEASE_DEG:g}")
    kp = FerKeypoints()
    if args.fer.exists():
        images = load_fer(args.fer)
        kps = [kp(f) for f in images]
        found = np.array([k is not None for k in kps])
        kps_all = np.full((len(images), 6, 2), np.nan)
        kps_all[found] = np.array([k for k in kps if k is not None])
        calibration(kps_all[found])
    else:
        print(f"{args.fer}: missing; FER-2013 parts skipped")
    print("\n2. sign (mirrored) and roll (turned in the image plane), through a full scan as "
          "in the app (yaw from the levelled short-range search)")
    det = BlazeFaceDetector(models_dir(), "cpu")
    if args.fer.exists():
        rng = np.random.default_rng(0)
        pick = rng.choice(np.flatnonzero(found), args.fer_sample, False)
        frames_invariance("FER-2013 pasted", [pasted(images[i]) for i in pick], det)
    clip = args.media / "WolfgangLanger_Pexels.mp4"
    if clip.exists():
        frames = clip_frames(clip)
        frames_invariance("stock clip", frames, det)
        synthetic_turns(frames[::2], det)
    else:
        print(f"{clip}: missing; media parts skipped")
    if args.fer.exists():
        hand_judged(kps_all, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
