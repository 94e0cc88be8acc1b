"""analyze_source overlaps detection and classification: same results as `process` frame by
frame, errors in the same place, no thread left behind."""

import threading

import pytest

from app.core.analysis.pipeline import analyze_source
from app.core.analysis.sources import open_source
from app.core.errors import DecodeError, ModelError


def one_by_one(analyzer, clip, max_frames=None):
    """The reference: every frame through `Analyzer.process` in the caller's thread."""
    analyzer.reset()
    with open_source(clip) as src:
        return [analyzer.process(f.image, f.index, f.time_s) for f in src
                if max_frames is None or f.index < max_frames]


def stage_threads():
    return [t.name for t in threading.enumerate() if t.name.startswith("fer-")]


def pick_patient_at(analyzer, index, point):
    """Click `point` just before frame `index` is detected (the same frame on both paths)."""
    detect = analyzer.detect

    def hooked(image, i, time_s):
        if i == index:
            assert analyzer.select_patient_at(*point) is not None
        return detect(image, i, time_s)

    analyzer.detect = hooked


def test_same_results_as_frame_by_frame(analyzer_factory, face_clip, two_face_clip):
    for clip, smooth_s in ((face_clip, 0.0), (face_clip, 0.5), (two_face_clip, 0.5)):
        an = analyzer_factory(smooth_s=smooth_s)
        assert list(analyze_source(clip, an)) == one_by_one(an, clip)


def test_same_results_with_a_patient_picked(analyzer_factory, two_face_clip):
    an = analyzer_factory(smooth_s=0.5)
    pick_patient_at(an, 8, (475, 155))  # the small face on the right
    ref = one_by_one(an, two_face_clip)
    assert list(analyze_source(two_face_clip, an)) == ref
    # the largest face (track 1) first, then the one picked (track 2, the right one)
    assert [r.patient.track_id for r in ref] == [1] * 8 + [2] * 12
    assert ref[8].patient.box[0] > 320


def test_same_results_on_a_real_clip(analyzer_factory, media):
    clip = media / "WolfgangLanger_Pexels.mp4"
    an = analyzer_factory(smooth_s=0.5)
    ref = one_by_one(an, clip, max_frames=48)
    assert sum(r.has_face for r in ref) > 40
    assert list(analyze_source(clip, an, max_frames=48)) == ref


def test_decode_error_after_the_frames_before_it(analyzer_factory, face_clip):
    src = open_source(face_clip)
    src.frame_count = 100  # the container promises more than it decodes
    seen = []
    with pytest.raises(DecodeError, match="after 45 of 100 frames"):
        for r in analyze_source(src, analyzer_factory()):
            seen.append(r.index)
    src.close()
    assert seen == list(range(45)) and not stage_threads()


@pytest.mark.parametrize("stage", ["detect", "classify"])
def test_stage_error_after_the_frames_before_it(analyzer_factory, face_clip, stage):
    an = analyzer_factory()
    run = getattr(an, stage)

    def failing(*args):
        index = args[1] if stage == "detect" else args[0].index
        if index == 5:
            raise ModelError("model failed")
        return run(*args)

    setattr(an, stage, failing)
    seen = []
    with pytest.raises(ModelError, match="model failed"):
        for r in analyze_source(face_clip, an):
            seen.append(r.index)
    assert seen == list(range(5)) and not stage_threads()


def test_abandoned_iteration_joins_its_threads(analyzer, face_clip):
    results = analyze_source(face_clip, analyzer)
    assert [next(results).index for _ in range(3)] == [0, 1, 2]
    assert "fer-classify_0" in stage_threads()
    results.close()
    assert not stage_threads()
    assert [r.index for r in analyze_source(face_clip, analyzer, max_frames=4)] == [0, 1, 2, 3]
    assert not stage_threads()


@pytest.fixture
def analyzer(analyzer_factory):
    return analyzer_factory()
