"""fer-companion: facial-emotion timeline beside the clinician's notes.

`app.core` is Qt-free (sources, detection, classification, exports, the `fer-analyze` CLI);
`app.ui` is the PySide6 desktop app built on it. Importing either runs nothing (one deliberate
exception: the telemetry opt-out below).
"""

import os

# onnxruntime(-gpu) >= 1.18 sends telemetry (a DNS lookup of Microsoft's events host after ~9 s,
# events queued in ~/.cache/Microsoft) unless ORT_DISABLE_TELEMETRY is set before it loads;
# `disable_telemetry_events()` does not stop the lookups. Python imports this package before
# any module under it, so setting it here covers every entry point (fer-companion,
# fer-analyze, the bundle, benchmarks) whatever their import order. setdefault: an explicit
# user value wins. Nothing leaves the machine (tests/core/test_no_network.py checks it).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
