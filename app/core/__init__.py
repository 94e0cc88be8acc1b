"""Qt-free analysis core of fer-companion.

Modules (import them directly; importing runs nothing, probes no device):
    results     FrameResult / Face: the one result type, contract in its docstring
    analyzer    Analyzer.process(frame, index, time_s) -> FrameResult; patient selection
    pipeline    analyze_source(source, analyzer) -> Iterator[FrameResult] (threaded decode)
    sources     open_source(path | camera index | URL) -> Source of Frames; list_media
    classifier  EmotionClassifier (ONNX model + contract checks); providers: device choice
    detector, tracker, preprocess, smoothing: the stages behind Analyzer
    frames_csv  FramesCsvWriter / read_frames_csv: the frames CSV of DESIGN.md
    errors      CoreError and its one-line subclasses; cli: `fer-analyze`
"""

from .paths import default_model_path

__all__ = ["default_model_path"]
