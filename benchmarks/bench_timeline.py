"""Redraw time of the live timeline over a long session (pyqtgraph, offscreen).

Fills the session model with N frames of random probabilities (a worst case to draw: every
pixel column changes), then times a full refresh + repaint for the last-2-minutes window and
for the whole session (the uncertain strip drawn too), and an update of that strip (random
probabilities flicker across the threshold, its worst case; it is updated at most once a
second while frames come).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline.py [--hours 2] [--fps 30]
        [--uncertain-below 0.67]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--uncertain-below", type=float, default=0.67)
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    from app.core.analysis.uncertainty import Threshold
    from app.ui.compat import guard_singleton_refcounts
    from app.ui.readers import SourceInfo
    from app.ui.session_model import SessionModel
    from app.ui.timeline import TimelineView

    guard_singleton_refcounts()
    app = QApplication.instance() or QApplication([])
    n = int(args.hours * 3600 * args.fps)
    model = SessionModel()
    model.threshold = Threshold(args.uncertain_below, "benchmark")
    model.reset(SourceInfo("camera 0", "camera", True, False, None, None),
                ("happy", "sad", "surprise", "neutral"))
    probs = np.random.default_rng(0).dirichlet((1, 1, 1, 1), size=n)
    t = time.perf_counter()
    for i in range(n):
        model.buffer.add(i, i / args.fps, None if i % 50 == 0 else tuple(probs[i]))
    print(f"{n} frames ({args.hours:g} h at {args.fps:g} frames/s) buffered in "
          f"{time.perf_counter() - t:.1f} s")
    view = TimelineView(model)
    view.resize(1300, 300)
    view.show()
    app.processEvents()
    for index, name in ((1, "last 2 min"), (3, "whole session")):
        view.window_box.setCurrentIndex(index)
        view._follow_again()
        model.set_position(model.buffer.last_time())
        times = []
        for _ in range(5):
            start = time.perf_counter()
            model.buffer.version += 1
            view._refresh()
            view.plot.viewport().repaint()
            times.append(time.perf_counter() - start)
        shown = len(view._curves[0].curve.xData)
        print(f"{name:14s} redraw median {1000 * float(np.median(times)):.0f} ms "
              f"({shown} points drawn per curve)")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        model.buffer.version += 1
        view._refresh_band(True)
        times.append(time.perf_counter() - start)
    print(f"uncertain strip update median {1000 * float(np.median(times)):.1f} ms "
          f"({len(view.uncertain_band.times):,} frames below {args.uncertain_below:g})")
    for index, name in ((1, "last 2 min"), (3, "whole session")):  # its share of a repaint,
        view.window_box.setCurrentIndex(index)  # shown and hidden in turn (a loaded machine
        view._follow_again()  # moves both alike)
        shown, hidden = [], []
        for _ in range(7):
            for visible, out in ((True, shown), (False, hidden)):
                view.uncertain_band.setVisible(visible)
                start = time.perf_counter()
                view.plot.viewport().repaint()
                out.append(time.perf_counter() - start)
        view.uncertain_band.setVisible(True)
        print(f"{name:14s} repaint with the strip {1000 * float(np.median(shown)):.0f} ms, "
              f"without {1000 * float(np.median(hidden)):.0f} ms")


if __name__ == "__main__":
    main()
