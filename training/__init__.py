"""fer-train: FER-2013 -> hyperopt search -> final fit -> ONNX model and card."""

import os

# Before anything under training/ can import onnxruntime (the ONNX parity check): it sends
# telemetry unless this is set before it loads (see app/__init__.py).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
