"""`fer-analyze`: analyse a video, image, folder, camera or stream into a frames CSV.

    fer-analyze INPUT [--csv OUT] [--model M] [--device auto|cpu|gpu] [--smooth S]
                      [--detector combined|blazeface|haar] [--pdf OUT] [--notes NOTES.csv]
                      [--baseline START:END] [--ray [ADDRESS]]

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

Every failure is one line `fer-analyze: error: ...` on stderr and a non-zero exit, with
the rows analysed so far kept in the CSV.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from app.core import cluster  # imports Ray only in cluster.run
from app.core.analysis.analyzer import Analyzer
from app.core.analysis.baseline import parse_stretch
from app.core.analysis.detector import DEFAULT_DETECTOR, DETECTORS
from app.core.analysis.pipeline import analyze_source
from app.core.analysis.providers import DEVICES
from app.core.analysis.results import FrameResult
from app.core.analysis.sources import STREAM_SCHEMES, list_media, open_source, quiet_native_logs
from app.core.analysis.uncertainty import UNCERTAIN, Threshold, threshold_for
from app.core.errors import CoreError, SourceError
from app.core.paths import make_private_dir
from app.core.report.baseline_stream import BaselineStream
from app.core.report.data import frame_label, load_metrics
from app.core.report.exports import export_report
from app.core.report.frames_csv import FramesCsvWriter
from app.core.report.notes_csv import read_notes_csv
from app.core.session.notes import Note
from app.core.session.store import SessionMeta

PROG = "fer-analyze"


@dataclass
class Job:
    spec: str  # what open_source gets
    csv: Path
    pdf: Path | None = None


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="video/image file, folder, camera index or stream URL")
    p.add_argument("--csv", type=Path, help="output CSV (a folder when INPUT is a folder)")
    p.add_argument("--model", type=Path, help="ONNX model (default: the shipped model)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="inference device")
    p.add_argument("--detector", choices=DETECTORS, default=DEFAULT_DETECTOR,
                   help=f"face detector (default {DEFAULT_DETECTOR})")
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
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="one task per recording on a Ray cluster (host:port of its head; "
                        "default: this machine's); INPUT may be a LIST.txt of recordings")
    return p


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, like every other error (not usage + error)
        _error(f"{message} (see {PROG} --help)")
        raise SystemExit(2)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {text!r}")
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


def _output_dir(path: Path, option: str) -> Path:
    """A folder for outputs (created 0700: patient data); CoreError if it cannot be one."""
    try:
        return make_private_dir(path)
    except OSError as exc:
        why = "it is a file" if path.exists() and not path.is_dir() else exc.strerror or exc
        raise CoreError(f"{option} {path}: cannot be the output folder ({why})") from None


def _check_writable(path: Path, option: str) -> None:
    """Fail now, not after an hour of analysis, if `path` cannot be written."""
    folder = path.parent
    if path.is_dir():
        raise CoreError(f"{option} {path}: is a folder; give a file name")
    if not folder.is_dir():
        raise CoreError(f"{option} {path}: the folder {folder} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CoreError(f"{option} {path}: cannot write in {folder} "
                        f"({exc.strerror or exc})") from None


def _with_pdf(jobs: list[Job], pdf: Path | None, folder: bool) -> list[Job]:
    if pdf is None:
        return jobs
    if folder:
        pdf = _output_dir(pdf, "--pdf")
        return [replace(j, pdf=pdf / f"{Path(j.spec).name}.report.pdf") for j in jobs]
    _check_writable(pdf, "--pdf")
    return [replace(j, pdf=pdf) for j in jobs]


def _jobs(spec: str, csv: Path | None) -> list[Job]:
    """Inputs and their CSV paths; raises SourceError for a missing input or an empty folder."""
    if not spec.strip():
        raise SourceError("no input given (an empty name): name a file, folder, camera or URL")
    if spec.strip().isdigit():
        return [Job(spec, csv or Path(f"camera-{int(spec)}.frames.csv"))]
    if spec.lower().startswith(STREAM_SCHEMES):
        return [Job(spec, csv or Path("stream.frames.csv"))]
    path = Path(spec)
    if path.is_dir():
        files = list_media(path)
        if not files:
            raise SourceError(f"{path}: folder has no video or image files")
        if csv is not None:
            csv = _output_dir(csv, "--csv")
        return [Job(str(f), (csv or f.parent) / f"{f.name}.frames.csv") for f in files]
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    out = csv or path.with_name(f"{path.name}.frames.csv")
    return [Job(spec, out / f"{path.name}.frames.csv" if out.is_dir() else out)]


def _summary(name: str, csv: Path, results: list[FrameResult], seconds: float,
             analyzer: Analyzer, below: float = 0.0,
             raw: list[FrameResult] | None = None) -> str:
    n = len(results)
    with_face = sum(1 for r in results if r.has_face)
    labels = Counter(frame_label(r, below, raw[i] if raw else None)
                     for i, r in enumerate(results) if r.label)
    labelled = sum(labels.values())
    share = ", ".join(
        f"{c} {100 * labels[c] / labelled:.1f} %" if labelled else f"{c} -"
        for c in (*analyzer.classes, UNCERTAIN) if c != UNCERTAIN or below > 0
    )
    fps = n / seconds if seconds > 0 else 0.0
    return "\n".join([
        f"{name} -> {csv}",
        f"  frames      {n}, {fps:.1f} frames/s",
        f"  face found  {100 * with_face / max(n, 1):.1f} % of frames",
        f"  emotions    {share}  (share of the {labelled} frames with the patient's face)",
        f"  model       {analyzer.classifier.path.name} ({analyzer.classifier.choice})",
        f"  provider    {analyzer.provider}",
    ])


def _run(job: Job, analyzer: Analyzer, max_frames: int | None, notes: list[Note],
         threshold: Threshold, span: tuple[float, float] | None = None) -> None:
    src = open_source(job.spec)
    results: list[FrameResult] = []  # frozen tuples: ~50 MB an hour, for summary and report
    try:
        with FramesCsvWriter(job.csv, analyzer.classes, threshold=threshold,
                             raw=span is not None) as writer, tqdm(
            total=src.frame_count if src.kind == "file" else None, unit="frame",
            desc=src.name, file=sys.stderr, disable=None, leave=False,
        ) as bar:
            start = time.perf_counter()
            out = writer if span is None else BaselineStream(writer, analyzer.classes, *span)
            try:
                for r in analyze_source(src, analyzer, max_frames=max_frames):
                    out.write(r)
                    results.append(r)
                    bar.update()
                baseline = out.finish() if span is not None else None
            except CoreError as exc:
                raise CoreError(f"{exc} ({writer.rows} rows kept in {job.csv})") from None
            except KeyboardInterrupt:
                raise KeyboardInterrupt(f"{writer.rows} rows kept in {job.csv}") from None
            seconds = time.perf_counter() - start
    finally:
        src.close()
    shown = baseline.apply(results, analyzer.classes) if baseline else results
    print(_summary(src.name, job.csv, shown, seconds, analyzer, threshold.value,
                   results if baseline else None), flush=True)
    if baseline is not None:
        print(f"  baseline    {baseline.describe(analyzer.classes)}", flush=True)
    if job.pdf is not None or notes:
        base = job.csv.name.removesuffix(".csv").removesuffix(".frames")
        notes_csv = job.csv.with_name(f"{base}.notes.csv")
        written = export_report(
            results, analyzer.classes, notes,
            replace(SessionMeta.from_analyzer(analyzer, patient_code="", source=src.name),
                    baseline=baseline),
            pdf_path=job.pdf, notes_csv_path=notes_csv if notes else None,
            metrics=load_metrics(analyzer.classifier.path), threshold=threshold,
        )
        for path in written:
            print(f"  wrote       {path}", flush=True)


def _error(message: object) -> None:
    text = " ".join(str(message).split()) or "unknown error"
    print(f"{PROG}: error: {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `fer-analyze`; returns the exit status (0 = every input analysed)."""
    args = _parser().parse_args(cluster.ray_argv(sys.argv[1:] if argv is None else argv))
    quiet_native_logs()
    if args.ray is not None:
        return cluster.run(args)
    try:
        jobs = _jobs(args.input, args.csv)
        if args.notes is not None and len(jobs) > 1:
            raise CoreError("--notes belongs to one recording, not to a folder")
        jobs = _with_pdf(jobs, args.pdf, Path(args.input).is_dir())
        analyzer = Analyzer(args.model, device=args.device, smooth_s=args.smooth,
                            detector=args.detector)
        # Read notes before analysing: a bad notes file fails in a second, not after an hour.
        notes = read_notes_csv(args.notes, analyzer.classes) if args.notes else []
        path = analyzer.classifier.path
        threshold = threshold_for(path, load_metrics(path), args.uncertain_below)
    except CoreError as exc:
        _error(exc)
        return 1
    failed = 0
    for job in jobs:
        try:
            _run(job, analyzer, args.max_frames, notes, threshold, args.baseline)
        except CoreError as exc:
            _error(exc)
            failed += 1
        except KeyboardInterrupt as exc:
            _error(f"interrupted; {exc}" if str(exc) else "interrupted")
            return 130
        except OSError as exc:  # a file the core did not wrap: name it
            where = f" {exc.filename}" if exc.filename else f" (writing {job.csv})"
            _error(f"cannot write{where}: {exc.strerror or exc}")
            failed += 1
        except Exception as exc:  # a bug, not bad input: still one line, no traceback
            _error(f"unexpected {type(exc).__name__}: {exc} (please report)")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
