"""The writer the video crash test kills: `python video_crash_writer.py FOLDER`.

Records synthetic 320x180 frames stamped 1/30 s apart (session time), offered as fast as the
writer takes them (a full queue waits, so no frame is dropped), and prints `frame <index>
<time_s>` after every 15th frame offered. Runs until killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from app.core.session.video import VideoRecorder  # noqa: E402

FPS = 30.0


def picture(i: int) -> np.ndarray:
    """A moving bar (so frames differ) on a grey field."""
    img = np.full((180, 320, 3), 90, np.uint8)
    x = (i * 4) % 300
    img[40:140, x:x + 20] = (30, 160, 230)
    return img


def main(folder: str) -> None:
    rec = VideoRecorder(folder, fps=FPS)
    i = 0
    while True:
        while not rec.offer(picture(i), i, i / FPS):
            time.sleep(0.002)
        if i % 15 == 0:
            print(f"frame {i} {i / FPS:.3f}", flush=True)
        i += 1


if __name__ == "__main__":
    main(sys.argv[1])
