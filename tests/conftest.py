"""Shared test setup: make the repo importable without an install (a fresh clone + pytest);
the live MJPEG stream of the live-source tests (core and UI)."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="module")
def jpegs():
    """60 numbered JPEG frames, 96x64 (tests/mjpeg_server.py: each carries its number)."""
    from tests.mjpeg_server import numbered_frames

    return numbered_frames(60, (96, 64))


@pytest.fixture
def server(jpegs):
    """A 24 fps MJPEG-over-HTTP stream of `jpegs` on 127.0.0.1 (`server.url`), killed after."""
    from tests.mjpeg_server import MjpegServer

    with MjpegServer(jpegs, fps=24) as s:
        yield s
