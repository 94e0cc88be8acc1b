"""`fer-companion --self-test`: proves an installed copy or a bundle works, without a screen.

Loads the model, starts Qt offscreen (so missing Qt plugins or libraries show up), analyses the
first frames of the demo clip and prints one line per check. Exit 0 only when a face was found
and classified into probabilities that sum to 1.
"""

from __future__ import annotations

import os
import sys
import time

from app.core.analysis.detector import DEFAULT_DETECTOR

FRAMES = 30


def run_self_test(model: str | None, device: str, detector: str = DEFAULT_DETECTOR) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.perf_counter()
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from app.core.analysis.analyzer import Analyzer
    from app.core.analysis.sources import open_source, quiet_native_logs
    from app.core.errors import CoreError

    from .startup import DEMO_CLIP

    quiet_native_logs()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    try:
        analyzer = Analyzer(model, device=device, detector=detector)
        source = open_source(DEMO_CLIP)
    except CoreError as exc:
        print(f"self-test: FAIL: {exc}", flush=True)
        return 1
    print(f"self-test: model {analyzer.classifier.path.name} "
          f"({','.join(analyzer.classes)}) on {analyzer.provider}, "
          f"detector {analyzer.detector_name}", flush=True)
    first = None
    faces = 0
    frame = None
    with source:
        for frame in source:
            r = analyzer.process(frame.image, frame.index, frame.time_s)
            if r.probs is not None:
                faces += 1
                if first is None:
                    first = time.perf_counter() - t0
                    if abs(sum(r.probs) - 1.0) > 1e-3:
                        print("self-test: FAIL: probabilities do not sum to 1", flush=True)
                        return 1
            if frame.index + 1 >= FRAMES:
                break
    if frame is None:
        print("self-test: FAIL: the demo clip has no frames", flush=True)
        return 1
    h, w = frame.image.shape[:2]
    image = QImage(frame.image.data, w, h, 3 * w, QImage.Format.Format_BGR888).copy()
    ok = faces > 0 and not image.isNull()
    print(f"self-test: Qt {app.platformName()}, {FRAMES} demo frames, face in {faces}; "
          f"first analysed frame after {first if first is not None else float('nan'):.2f} s",
          flush=True)
    print(f"self-test: {'OK' if ok else 'FAIL: no face found in the demo clip'}", flush=True)
    return 0 if ok else 1
