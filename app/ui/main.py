"""`fer-companion`: the desktop app a psychologist keeps open during the interview.

Arguments, device probing and model loading happen here, in `main()`, never at import. A bad
--source/--model/--device/--detector is one line on stderr and exit status 2, before any window
opens.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from app.core.analysis.providers import DEVICES
from app.core.errors import CoreError
from app.core.options import OneLineParser, add_detector_option

PROG = "fer-companion"


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=PROG,
        description="Facial-emotion timeline of the patient beside the clinician's notes.")
    p.add_argument("--source", metavar="FILE|INDEX|URL",
                   help="recording, camera index or stream URL "
                        "(default: camera 0 if present, else the bundled demo clip)")
    p.add_argument("--model", metavar="ONNX", help="emotion model (default: the shipped model)")
    p.add_argument("--device", choices=DEVICES, default="auto",
                   help="inference device (default: auto = GPU if usable, else CPU)")
    add_detector_option(p)  # the same option as fer-analyze's
    p.add_argument("--patient", metavar="CODE",
                   help="patient code of this session, e.g. P-017 (never a name); "
                        "asked at start when omitted")
    p.add_argument("--record-video", action="store_true",
                   help="keep the live video with the session (only with the patient's "
                        "consent; the New-session dialog asks otherwise)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="playback speed of recordings (default: 1 = real time)")
    p.add_argument("--screenshot", metavar="PNG", type=Path,
                   help="save a picture of the window when --quit-after elapses")
    p.add_argument("--quit-after", metavar="SECONDS", type=float,
                   help="close the app after this many seconds (demos, screenshots)")
    p.add_argument("--self-test", action="store_true",
                   help="check the model, Qt and the demo clip without a window; exit 0 if fine")
    return p


def _error(text: str) -> int:
    print(f"{PROG}: error: {text}", file=sys.stderr, flush=True)
    return 2


def _error_dialog(text: str, args) -> int:
    """A start error: the terminal line, and a dialog (a launcher has no terminal)."""
    code = _error(text)
    if args.quit_after is None:
        show_start_error(text)
    return code


def show_start_error(text: str) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(PROG)
    QMessageBox.critical(None, "fer-companion cannot start",
                         f"{text}\n\nCheck the --source, --model and --device options.")


def _open_store():
    """(store, problem): the session database and what the clinician must be told about it.

    A damaged database is set aside (kept as `<name>.damaged-<time>`) and a fresh one started,
    so sessions are saved again. If none can be opened the store is None: the clinician can
    still work, and is told in a dialog (and on stderr) that nothing is saved."""
    from app.core.session.store import SessionStore

    try:
        store = SessionStore(set_aside_corrupt=True)
    except CoreError as exc:
        print(f"{PROG}: warning: sessions will not be saved: {exc}", file=sys.stderr, flush=True)
        return None, f"Sessions will not be saved in this run: {exc}."
    if store.notice:
        print(f"{PROG}: warning: {store.notice}", file=sys.stderr, flush=True)
        notice = store.notice[0].upper() + store.notice[1:]
        return store, f"{notice}. Sessions are saved in the new database."
    return store, None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.speed <= 0:
        return _error("--speed must be > 0")
    if args.self_test:
        from .self_test import run_self_test

        return run_self_test(args.model, args.device, args.detector)
    from app.core.analysis.analyzer import Analyzer
    from app.core.analysis.sources import quiet_native_logs
    from app.core.session.store import check_patient_code

    from .platform_check import check_qt_platform
    from .startup import initial_source

    missing = check_qt_platform()
    if missing is not None:
        return _error(missing)
    quiet_native_logs()
    try:
        patient = check_patient_code(args.patient) if args.patient is not None else None
        analyzer = Analyzer(args.model, device=args.device, detector=args.detector)
        source = initial_source(args.source)
    except CoreError as exc:
        return _error_dialog(str(exc), args)
    print(f"{PROG}: model on {analyzer.provider}", file=sys.stderr, flush=True)
    store, problem = _open_store()
    try:
        return _run_gui(analyzer, source, store, patient, args, problem)
    finally:
        if store is not None:
            store.close()


def _run_gui(analyzer, source, store, patient: str | None, args, problem: str | None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from . import settings
    from .compat import guard_singleton_refcounts
    from .main_window import MainWindow
    from .session_details import (
        SessionDetails,
        ask_session_details,
        could_be_live,
        remember_consent_choice,
    )
    from .startup import DEMO_CLIP
    from .theme import apply_theme

    guard_singleton_refcounts()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(PROG)
    apply_theme(app)
    # The bundled clip plays as a demo: no session until the user starts one.
    demo = args.source is None and getattr(source, "path", None) == DEMO_CLIP
    clinician = settings.get("clinician", "", str)
    title, record = "", args.record_video
    if patient is None and store is not None and args.quit_after is None and not demo:
        details = ask_session_details(None, SessionDetails("", clinician), source)
        if details is not None:  # cancelled: no code, can be set later
            patient, clinician, title = details.patient_code, details.clinician, details.title
            record = details.record_video
            settings.put("clinician", clinician)
            if could_be_live(source):  # a recording asks nothing: the choice stays
                remember_consent_choice(clinician, record)
    window = MainWindow(analyzer, source, store=store, patient_code=patient or "",
                        speed=args.speed, clinician=clinician, title=title, demo=demo,
                        record_video=record)
    window.show()
    if problem is not None and args.quit_after is None:  # said in a dialog, not only stderr
        QTimer.singleShot(0, lambda: QMessageBox.warning(window, "Session database", problem))
    if args.quit_after is not None:
        def finish() -> None:
            if args.screenshot is not None:
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(args.screenshot))
            window.close()
        QTimer.singleShot(int(args.quit_after * 1000), finish)
    # Ctrl+C in the terminal closes the window cleanly; the timer lets Python see the signal.
    previous = signal.signal(signal.SIGINT, lambda *_: window.close())
    tick = QTimer(window)
    tick.start(250)
    tick.timeout.connect(lambda: None)
    try:
        return app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
        window.deleteLater()


if __name__ == "__main__":
    sys.exit(main())
