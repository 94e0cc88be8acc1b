"""Face crops prepared like the FER-2013 training images."""

import numpy as np

from app.core.analysis.preprocess import crop_box, face_batch, prepare_face


def test_crop_box_is_square_and_centred():
    assert crop_box((10, 20, 40, 40), margin=0.0) == (10, 20, 50, 60)
    x0, y0, x1, y1 = crop_box((10, 20, 40, 40), margin=0.25)
    assert (x1 - x0, y1 - y0) == (60, 60) and (x0 + x1) / 2 == 30


def test_prepare_face_stretches_contrast():
    crop = np.linspace(100, 140, 96 * 96).reshape(96, 96).astype(np.uint8)
    out = prepare_face(crop)
    assert out.shape == (48, 48) and out.dtype == np.float32
    assert out.min() == 0 and out.max() == 255
    assert not prepare_face(np.full((20, 20), 7, np.uint8)).any()  # flat patch stays flat


def test_face_batch_one_batch_per_frame_and_edges():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (100, 120), dtype=np.uint8)
    boxes = [(0, 0, 30, 30), (100, 80, 40, 40)]  # second box leaves the frame
    batch = face_batch(gray, boxes)
    assert batch.shape == (2, 48, 48, 1) and batch.dtype == np.float32
    assert batch.min() >= 0 and batch.max() <= 255
    assert face_batch(gray, []).shape == (0, 48, 48, 1)
