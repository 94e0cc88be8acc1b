"""Qt-free core of fer-companion, one package per job (importing runs nothing, probes no device).

    analysis/  source -> face detection -> tracking -> crops -> classifier -> FrameResult
               (sources, detector, tracker, preprocess, classifier, providers, smoothing,
               analyzer, pipeline; results holds FrameResult, the one result type)
    session/   the SQLite store, the crash-safe recorder, session types, notes
    report/    frames/notes CSV, PDF report, timeline figure, agreement, face blur, exports
    cli.py     `fer-analyze`;  errors.py: CoreError and its one-line subclasses;  paths.py
"""

from app.core.paths import default_model_path

__all__ = ["default_model_path"]
