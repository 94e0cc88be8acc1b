"""PySide6 desktop app of fer-companion (`fer-companion`, or `python -m app.ui`).

    main                arguments, errors, QApplication; `main(argv)` is the console script
    startup             first source: --source, else camera 0, else the bundled demo clip
    main_window         worker lifetime, what a session shows; layout, menus (keys)
    worker              AnalysisWorker: capture, analysis, playback, result cache (own QThread)
    frame_packet        what the worker sends per frame; the per-index result cache
    readers             seekable recordings / live sources for the worker (Qt-free)
    session_model       SessionModel: source, results, playhead, notes + change signals
    timeline_buffer     numpy buffers behind the timeline (Qt-free)
    video_view, timeline, notes_panel, transport, status_panel: views of the model
    session_controller  sessions in the SessionStore: recording, exports, reopening
    session_recording   model changes -> core SessionRecorder
    source_dialog, sessions_dialog, patient_dialog, help_dialog: dialogs
    background, exporting, compat, theme, timefmt: helpers

Importing runs nothing: no QApplication, no device probing, no model loading.
"""
