"""Distillation: a trained model (e.g. the shipped ensemble) as a teacher for a student net.

`fer-train --teacher M.onnx` runs the teacher once over the Training images (its own graph: its
members, mirror averaging and calibration) and mixes its probabilities into every target
(`--teacher-weight`, targets.Task). An ensemble's accuracy then fits in one net that the app can
afford. The teacher must output exactly the classes the student learns; it must have been
trained with the same validation split (same --seed and --val-fraction), or validation images
it learnt from would flatter the student.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.data import DataError, Dataset

BATCH = 512


def teacher_probs(path: Path, ds: Dataset, train_classes: tuple[str, ...]) -> np.ndarray:
    """float32 [N, K_train]: the teacher's probabilities for `ds`'s images, columns in
    `train_classes` order. One-line DataError for a missing, unreadable or unfit model."""
    import onnxruntime as ort

    if not path.is_file():
        raise DataError(f"--teacher: {path} does not exist")
    try:
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several private exception types
        raise DataError(f"--teacher: {path} is not an ONNX model ({str(exc).splitlines()[0]})"
                        ) from None
    names = sess.get_modelmeta().custom_metadata_map.get("classes", "")
    classes = tuple(c.strip() for c in names.split(",") if c.strip())
    if sorted(classes) != sorted(train_classes):
        raise DataError(f"--teacher: {path.name} outputs {','.join(classes) or 'no classes'}; "
                        f"the student learns {','.join(train_classes)}")
    (inp,) = sess.get_inputs()
    x = ds.images.astype(np.float32)
    p = np.concatenate([sess.run(None, {inp.name: x[i:i + BATCH]})[0]
                        for i in range(0, len(x), BATCH)])
    return p[:, [classes.index(c) for c in train_classes]].astype(np.float32)
