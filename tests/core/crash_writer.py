"""Synthetic sessions for the session/report tests, and the writer the crash test kills.

As a script: `python crash_writer.py DB_PATH [FPS]` creates a session, records synthetic frames
at FPS (default 100) through a SessionRecorder, adds a note every 25 frames, and prints
`session <id>`, then `frame <index>` after every 10th frame and `note <id> <time_s>` after each
note (both printed only once the call returned). It runs until killed.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.analysis.results import Face, FrameResult  # noqa: E402

CLASSES = ("happy", "sad", "surprise", "neutral")


def synthetic_frame(i: int, fps: float = 25.0, classes=CLASSES) -> FrameResult:
    """Frame i of a made-up interview: emotions drift in ~20 s waves, the patient's face is
    missing for 2 s every 30 s, and a second person (track 7) is in view every other 10 s."""
    t = i / fps
    if t % 30.0 >= 28.0:
        return FrameResult(i, t)
    k = len(classes)
    logits = [2.2 * math.sin(2 * math.pi * (t / 20.0 - j / k)) + 0.3 * math.sin(1.7 * t + j)
              for j in range(k)]
    exps = [math.exp(v) for v in logits]
    probs = tuple(e / sum(exps) for e in exps)
    label = classes[max(range(k), key=probs.__getitem__)]
    x = 200 + int(20 * math.sin(t))
    patient = Face((x, 120, 96, 96), 3, probs, label, True)
    faces = (patient,)
    if int(t // 10) % 2:
        other = tuple(reversed(probs))
        faces = (patient, Face((500, 140, 80, 80), 7, other,
                               classes[max(range(k), key=other.__getitem__)]))
    return FrameResult(i, t, faces, label, probs)


def synthetic_frames(n: int, fps: float = 25.0) -> list[FrameResult]:
    return [synthetic_frame(i, fps) for i in range(n)]


def main(db_path: str, fps: float = 100.0) -> None:
    from app.core.session.recorder import SessionRecorder
    from app.core.session.store import SessionMeta, SessionStore

    store = SessionStore(db_path)
    sid = store.create_session(SessionMeta("P-CRASH", CLASSES, source="crash test"))
    print(f"session {sid}", flush=True)
    rec = SessionRecorder(store, sid)
    start = time.perf_counter()
    i = 0
    while True:
        rec.add(synthetic_frame(i, fps))
        if i % 25 == 0:
            note = rec.add_note(i / fps, f"note at frame {i}", CLASSES[i // 25 % len(CLASSES)])
            print(f"note {note.id} {note.time_s}", flush=True)
        if i % 10 == 0:
            print(f"frame {i}", flush=True)
        i += 1
        time.sleep(max(0.0, start + i / fps - time.perf_counter()))  # pace like a camera


if __name__ == "__main__":
    main(sys.argv[1], *(float(a) for a in sys.argv[2:3]))
