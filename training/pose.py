"""How far each FER-2013 face is turned (issue 12: calm faces turned away read as sad).

The single original annotator of FER-2013 called turned faces sad more than twice as often as
frontal ones (27 % of Training images whose nose is ≥ 0.3 eye distances off the eye midpoint,
12 % below 0.05), while the ten FER+ raters call most turned faces neutral (51 % against 33 %). A
net that learns the original labels learns "turned away → sad": on the validation split the
shipped net calls 43 % of the strongly turned faces the raters call neutral sad (19 % of frontal
ones). `nose_offsets` measures each image with the app's own BlazeFace keypoints
(preprocess.nose_offset), so fer-train can let the raters' votes alone label turned faces
(`--turned-votes`) and benchmarks/turned_faces.py can score them.
"""

from __future__ import annotations

import cv2
import numpy as np

FACE_PX = 64  # the 48-px FER face enlarged to this many px in the 128-px input (crop_framing.py)


def nose_offsets(images: np.ndarray) -> np.ndarray:
    """|nose offset| (preprocess.nose_offset) of each uint8 [N, 48, 48, 1] image; NaN where
    BlazeFace's short-range model finds no face (about 10 % of FER-2013)."""
    from app.core.analysis import blazeface as bf
    from app.core.analysis.detector import models_dir
    from app.core.analysis.preprocess import nose_offset

    model = bf.BlazeFaceModel(models_dir() / bf.SHORT_MODEL, bf.SHORT, "cpu")
    side = model.spec.side
    pad = (side * 48 // FACE_PX - 48) // 2
    out = np.full(len(images), np.nan, np.float32)
    for i, face in enumerate(images[..., 0]):
        big = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        found = model.run(cv2.resize(big, (side, side), interpolation=cv2.INTER_CUBIC), 0.5)
        if found:
            _, kps, _ = max(found, key=lambda d: d[2])
            out[i] = abs(nose_offset(kps))
    return out
