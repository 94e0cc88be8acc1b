"""`fer-analyze`: analyse a video, image, folder, camera or stream into a frames CSV.

    fer-analyze INPUT [--csv OUT] [--model M] [--device auto|cpu|gpu] [--smooth S]
                      [--detector combined|blazeface|haar] [--pdf OUT] [--notes NOTES.csv]
                      [--baseline START:END] [--reconnect SECONDS] [--ray [ADDRESS]]

INPUT is a video or image file, a folder (each video/image directly in it), a camera index
(`0`) or a stream URL (rtsp://, http(s)://). The CSV goes to `--csv`, by default beside the
input as `<file name>.frames.csv` (e.g. `interview.mp4.frames.csv`; the full name, so
`a.mp4` and `a.mov` in one folder never collide); for a folder `--csv` names an output folder;
cameras and streams default to `camera-<i>.frames.csv` / `stream.frames.csv` in the current
folder. `--pdf` adds the session report (for a folder: a folder of `<file name>.report.pdf`);
`--notes` reads notes made elsewhere (`time_s,text,perceived`) for the report and writes them
back with the model's label as `<file name>.notes.csv` beside the frames CSV. `--baseline
START:END` takes that stretch as the patient's resting face (analysis/baseline.py): labels, CSV
and PDF then use the re-weighted probabilities, the raw ones kept in `raw_p_*` columns.

Cameras and live streams (no known end) are stamped by a monotonic clock at each frame's
arrival, so `time_s` follows the wall clock. Such a source that delivers no frame for
`--stall` seconds (default 2) or fails a read has lost its signal: without `--reconnect` that
ends the run; `--reconnect SECONDS` reopens it (0.5 s, then doubling up to 4 s between tries)
for up to that long after each loss, and an outage that ends in time is kept in the CSV's
`no_signal_s` column, the summary's `signal` line and the PDF.

Every failure is one line `fer-analyze: error: ...` on stderr and a non-zero exit, with
the rows analysed so far kept in the CSV. Exit status: 0 every input analysed; 1 a failure
(bad input, model, device, unwritable output); 2 bad arguments; 3 a live source stopped
delivering frames (`stream stopped delivering frames at HH:MM:SS.s (N frames)`; the CSV holds
every frame before it, ending on a whole row); 130 interrupted (Ctrl+C, the way to end the
analysis of a live source that does not stop).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from app.core import cluster  # imports Ray only in cluster.run
from app.core.analysis.analyzer import Analyzer
from app.core.analysis.baseline import parse_stretch
from app.core.analysis.live_feed import STALL_S
from app.core.analysis.providers import DEVICES
from app.core.analysis.sources import LiveOptions, quiet_native_logs
from app.core.analysis.uncertainty import threshold_for
from app.core.errors import CoreError, StreamStopped
from app.core.jobs import PROG, plan_jobs, print_error, run_job, with_pdf
from app.core.options import OneLineParser, add_detector_option
from app.core.report.data import load_metrics
from app.core.report.notes_csv import read_notes_csv

EXIT_STREAM_STOPPED = 3  # a live source stopped delivering frames (its CSV is whole)


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="video/image file, folder, camera index or stream URL")
    p.add_argument("--csv", type=Path, help="output CSV (a folder when INPUT is a folder)")
    p.add_argument("--model", type=Path, help="ONNX model (default: the shipped model)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="inference device")
    p.add_argument("--fast", action="store_true",
                   help="archives: run the shipped int8 model even where it is not faithful "
                        "enough to the float model for live use (faster on the CPU, less "
                        "accurate on real faces; the summary says so)")
    add_detector_option(p)
    p.add_argument("--smooth", type=_seconds, default=0.0, metavar="S",
                   help="probability smoothing time constant in seconds (0 = off)")
    p.add_argument("--max-frames", type=_positive_int, metavar="N", help="stop after N frames")
    p.add_argument("--pdf", type=Path, metavar="OUT",
                   help="also write the PDF session report (a folder when INPUT is a folder)")
    p.add_argument("--notes", type=Path, metavar="NOTES.csv",
                   help="clinician notes made elsewhere (time_s,text,perceived) for the report")
    p.add_argument("--baseline", type=_stretch, metavar="START:END",
                   help="the patient's resting face, in seconds (e.g. 0:20): probabilities are "
                        "re-weighted so it reads neutral; the raw ones stay in raw_p_* columns")
    p.add_argument("--uncertain-below", type=_probability, metavar="P",
                   help="top probability below which a frame is uncertain "
                        "(default: from the model's calibration)")
    p.add_argument("--reconnect", type=_seconds, default=0.0, metavar="SECONDS",
                   help="cameras and live streams: after a lost signal, keep reopening the "
                        "source for up to this long (default 0: a lost signal ends the run, "
                        "exit 3)")
    p.add_argument("--stall", type=_positive_seconds, default=STALL_S, metavar="SECONDS",
                   help=f"cameras and live streams: no frame for this long is a lost signal "
                        f"(default {STALL_S:g})")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="one task per recording on a Ray cluster (host:port of its head; "
                        "default: this machine's); INPUT may be a LIST.txt of recordings")
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, not {text!r}")
    return value


def _stretch(text: str) -> tuple[float, float]:
    try:
        return parse_stretch(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be a probability from 0 to 1, not {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of `fer-analyze`; returns the exit status (0 = every input analysed)."""
    args = build_parser().parse_args(cluster.ray_argv(sys.argv[1:] if argv is None else argv))
    quiet_native_logs()
    if args.ray is not None:
        return cluster.run(args)
    try:
        jobs = plan_jobs(args.input, args.csv)
        if args.notes is not None and len(jobs) > 1:
            raise CoreError("--notes belongs to one recording, not to a folder")
        jobs = with_pdf(jobs, args.pdf, Path(args.input).is_dir())
        analyzer = Analyzer(args.model, device=args.device, smooth_s=args.smooth,
                            detector=args.detector, fast=args.fast)
        # Read notes before analysing: a bad notes file fails in a second, not after an hour.
        notes = read_notes_csv(args.notes, analyzer.classes) if args.notes else []
        path = analyzer.classifier.path
        threshold = threshold_for(path, load_metrics(path), args.uncertain_below)
    except CoreError as exc:
        print_error(exc)
        return 1
    failed = stopped = 0
    live = LiveOptions(stall_s=args.stall, reconnect_s=args.reconnect)
    for job in jobs:
        try:
            run_job(job, analyzer, args.max_frames, notes, threshold, args.baseline, live)
        except StreamStopped as exc:
            print_error(exc)
            stopped += 1
        except CoreError as exc:
            print_error(exc)
            failed += 1
        except KeyboardInterrupt as exc:
            print_error(f"interrupted; {exc}" if str(exc) else "interrupted")
            return 130
        except OSError as exc:  # a file the core did not wrap: name it
            where = f" {exc.filename}" if exc.filename else f" (writing {job.csv})"
            print_error(f"cannot write{where}: {exc.strerror or exc}")
            failed += 1
        except Exception as exc:  # a bug, not bad input: still one line, no traceback
            print_error(f"unexpected {type(exc).__name__}: {exc} (please report)")
            failed += 1
    return 1 if failed else EXIT_STREAM_STOPPED if stopped else 0


if __name__ == "__main__":
    sys.exit(main())
