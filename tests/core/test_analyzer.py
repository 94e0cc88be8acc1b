"""The analyzer on synthetic clips (no ../shared needed): faces, tracks, patient, pipeline."""

import numpy as np
import pytest

from app.core.analysis.pipeline import analyze_source, prefetch
from app.core.analysis.results import FrameResult
from app.core.analysis.sources import Frame


@pytest.fixture(scope="module")
def analyzer(analyzer_factory):
    return analyzer_factory()


def test_face_found_tracked_and_classified(analyzer, face_clip):
    results = list(analyze_source(face_clip, analyzer))
    assert [r.index for r in results] == list(range(45))
    assert all(isinstance(r, FrameResult) for r in results)
    with_face = [r.has_face for r in results]
    assert sum(with_face[:30]) >= 28 and not any(with_face[-3:])  # found, gone after the hold
    ids = {f.track_id for r in results for f in r.faces}
    assert ids == {1}
    r = results[10]
    (face,) = r.faces
    assert face.is_patient and r.label == face.label and r.probs == face.probs
    assert len(face.probs) == len(analyzer.classes) and sum(face.probs) == pytest.approx(1, 1e-4)
    x, y, w, h = face.box  # the drawn face is at (180, 80), 150 px
    assert abs(x + w / 2 - 255) < 20 and abs(y + h / 2 - 155) < 30 and 90 < w < 180


def test_no_flicker_on_the_face(analyzer, face_clip):
    results = list(analyze_source(face_clip, analyzer))
    first = next(i for i, r in enumerate(results) if r.has_face)
    assert all(r.has_face for r in results[first:30])


def test_patient_largest_then_selected_by_click(analyzer, two_face_clip):
    results = list(analyze_source(two_face_clip, analyzer))
    last = results[-1]
    assert len(last.faces) == 2
    big = max(last.faces, key=lambda f: f.box[2])
    small = min(last.faces, key=lambda f: f.box[2])
    assert big.is_patient and not small.is_patient
    x, y, w, h = small.box
    assert analyzer.select_patient_at(x + w / 2, y + h / 2) == small.track_id
    frame = results[-1]
    assert frame.patient.track_id == big.track_id  # results already made are frozen
    assert analyzer.select_patient_at(5, 355) is None
    assert analyzer.set_patient(big.track_id) and not analyzer.set_patient(999)


def test_live_feeding_frame_by_frame(analyzer, make_scene):
    analyzer.reset()
    img = make_scene([(200, 60, 160)])
    out = [analyzer.process(img, i, i / 30) for i in range(5)]
    assert [r.index for r in out] == list(range(5)) and out[-1].patient is not None
    gray = img[:, :, 0]
    assert analyzer.process(np.ascontiguousarray(gray), 5, 5 / 30).has_face


def test_still_image_shows_faces_at_once(analyzer, tmp_path, make_scene):
    import cv2

    path = tmp_path / "two.png"
    cv2.imwrite(str(path), make_scene([(60, 60, 180), (420, 100, 110)]))
    (r,) = list(analyze_source(path, analyzer))
    assert len(r.faces) == 2


def test_smoothing_reduces_label_changes(analyzer_factory, face_clip):
    raw = list(analyze_source(face_clip, analyzer_factory()))
    smooth = list(analyze_source(face_clip, analyzer_factory(smooth_s=1.0)))
    def spread(rs):
        p = np.array([r.probs for r in rs if r.probs])
        return np.abs(np.diff(p, axis=0)).mean()
    assert spread(smooth) <= spread(raw)


def test_prefetch_keeps_order_and_reraises():
    def frames():
        for i in range(5):
            yield Frame(i, i / 10, np.zeros((2, 2, 3), np.uint8))
        raise RuntimeError("boom")

    seen = []
    with pytest.raises(RuntimeError, match="boom"):
        for f in prefetch(frames(), depth=2):
            seen.append(f.index)
    assert seen == list(range(5))
