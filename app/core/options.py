"""What both programs' command lines share (`fer-analyze` and `fer-companion`), defined once so
their choices, defaults, help and errors never drift apart."""

from __future__ import annotations

import argparse
import sys

from app.core.analysis.detector import DEFAULT_DETECTOR, DETECTORS


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, `PROG: error: ... (see PROG --help)`, and
    exit status 2, like every other error of the programs (argparse prints usage + error)."""

    def error(self, message: str):
        text = " ".join(f"{message} (see {self.prog} --help)".split())
        print(f"{self.prog}: error: {text}", file=sys.stderr, flush=True)
        raise SystemExit(2)


def add_detector_option(parser: argparse.ArgumentParser) -> None:
    """`--detector combined|blazeface|haar` (detector.py says what each does)."""
    parser.add_argument("--detector", choices=DETECTORS, default=DEFAULT_DETECTOR,
                        help=f"face detector (default {DEFAULT_DETECTOR})")
