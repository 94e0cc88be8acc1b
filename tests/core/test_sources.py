"""Frame sources: files, images, folders, and every way opening them can fail."""

import cv2
import numpy as np
import pytest

from app.core.analysis.sources import list_media, open_source
from app.core.errors import DecodeError, SourceError


def test_video_frames_have_index_and_file_timestamps(face_clip):
    with open_source(face_clip) as src:
        assert src.kind == "file" and not src.live and src.fps == pytest.approx(25.0)
        frames = list(src)
    assert [f.index for f in frames] == list(range(45))
    times = [f.time_s for f in frames]
    assert times[0] == 0.0 and all(b > a for a, b in zip(times, times[1:], strict=False))
    assert times[-1] == pytest.approx(44 / 25, abs=1e-3)
    assert frames[0].image.shape == (360, 640, 3)


def test_image_source_and_folder_listing(tmp_path, make_scene):
    cv2.imwrite(str(tmp_path / "b.png"), make_scene([(50, 50, 100)]))
    (tmp_path / "a.mp4").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in list_media(tmp_path)] == ["a.mp4", "b.png"]
    with open_source(tmp_path / "b.png") as src:
        (frame,) = list(src)
    assert src.kind == "image" and frame.index == 0 and frame.time_s == 0.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "absent.mp4", "no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "empty.mp4", b""), "empty file"),
        (lambda d: _write(d / "text.mp4", b"hello, not a video\n" * 50), "cannot open as a video"),
        (lambda d: _write(d / "text.png", b"not an image"), "cannot read as an image"),
    ],
)
def test_bad_files_raise_one_line(tmp_path, make, message):
    with pytest.raises(SourceError, match=message) as err:
        open_source(make(tmp_path))
    assert "\n" not in str(err.value)


def _write(path, data):
    path.write_bytes(data)
    return path


def test_bad_camera_and_unreachable_url():
    with pytest.raises(SourceError, match="camera 99 cannot be opened"):
        open_source(99)
    with pytest.raises(SourceError, match="cannot open the stream"):
        open_source("rtsp://user:secret@127.0.0.1:9/x", open_timeout_s=1.0)
    try:
        open_source("rtsp://user:secret@127.0.0.1:9/x", open_timeout_s=1.0)
    except SourceError as exc:
        assert "secret" not in str(exc)


def test_short_decode_raises_after_frames(face_clip, monkeypatch):
    """A container that promises more frames than decode: frames first, then DecodeError."""
    src = open_source(face_clip)
    src.frame_count = 100
    seen = []
    with pytest.raises(DecodeError, match="decoding stopped after 45 of 100 frames"):
        for frame in src:
            seen.append(frame.index)
    assert seen == list(range(45))
    src.close()


def test_timestamps_fall_back_when_missing(face_clip, monkeypatch):
    src = open_source(face_clip)
    real = src._cap

    class NoTimes:
        def read(self):
            return real.read()

        def get(self, prop):
            return 0.0 if prop == cv2.CAP_PROP_POS_MSEC else real.get(prop)

        def release(self):
            real.release()

    src._cap = NoTimes()
    times = [f.time_s for f in src]
    assert np.allclose(np.diff(times), 1 / 25)
