"""What `fer-analyze` does for one recording, shared by the local run (cli.py) and the Ray
tasks (cluster.py): the inputs and their output paths (`plan_jobs`, `with_pdf`), one
recording analysed into its CSV/PDF/notes (`run_job`), and the one-line error (`print_error`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from app.core.analysis.analyzer import Analyzer
from app.core.analysis.baseline import rest_check_frames
from app.core.analysis.pipeline import analyze_source
from app.core.analysis.results import FrameResult
from app.core.analysis.sources import STREAM_SCHEMES, LiveOptions, list_media, open_source
from app.core.analysis.uncertainty import UNCERTAIN, Threshold
from app.core.errors import CoreError, SourceError, StreamStopped
from app.core.paths import make_private_dir
from app.core.report.baseline_stream import BaselineStream
from app.core.report.data import frame_label, load_metrics
from app.core.report.exports import export_report
from app.core.report.frames_csv import FramesCsvWriter
from app.core.report.looking_away import looking_away
from app.core.session.notes import Note
from app.core.session.outages import SignalSummary, outage_events
from app.core.session.store import SessionMeta

PROG = "fer-analyze"


@dataclass
class Job:
    spec: str  # what open_source gets
    csv: Path
    pdf: Path | None = None


def print_error(message: object) -> None:
    """`fer-analyze: error: <message>` on stderr, on one line."""
    text = " ".join(str(message).split()) or "unknown error"
    print(f"{PROG}: error: {text}", file=sys.stderr, flush=True)


def output_dir(path: Path, option: str) -> Path:
    """A folder for outputs (created 0700: patient data); CoreError if it cannot be one."""
    try:
        return make_private_dir(path)
    except OSError as exc:
        why = "it is a file" if path.exists() and not path.is_dir() else exc.strerror or exc
        raise CoreError(f"{option} {path}: cannot be the output folder ({why})") from None


def check_writable(path: Path, option: str) -> None:
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


def with_pdf(jobs: list[Job], pdf: Path | None, folder: bool) -> list[Job]:
    """`jobs` with their `--pdf` report paths (`pdf` is a folder when `folder`)."""
    if pdf is None:
        return jobs
    if folder:
        pdf = output_dir(pdf, "--pdf")
        return [replace(j, pdf=pdf / f"{Path(j.spec).name}.report.pdf") for j in jobs]
    check_writable(pdf, "--pdf")
    return [replace(j, pdf=pdf) for j in jobs]


def plan_jobs(spec: str, csv: Path | None) -> list[Job]:
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
            csv = output_dir(csv, "--csv")
        return [Job(str(f), (csv or f.parent) / f"{f.name}.frames.csv") for f in files]
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    out = csv or path.with_name(f"{path.name}.frames.csv")
    return [Job(spec, out / f"{path.name}.frames.csv" if out.is_dir() else out)]


def summary(name: str, csv: Path, results: list[FrameResult], seconds: float,
            analyzer: Analyzer, below: float = 0.0,
            raw: list[FrameResult] | None = None) -> str:
    """What `fer-analyze` prints for one recording."""
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
    model = SessionMeta.from_analyzer(analyzer, patient_code="").model_description
    return "\n".join([
        f"{name} -> {csv}",
        f"  frames      {n}, {fps:.1f} frames/s",
        f"  face found  {100 * with_face / max(n, 1):.1f} % of frames",
        (f"  emotions    {share}  (share of the {labelled} frames with the patient's face "
         "read)") if labelled else "  emotions    none read (no frame with the patient's face "
        "read)",
        *_looking_away_line(results),
        f"  model       {model}; {analyzer.classifier.choice}",
        f"  provider    {analyzer.provider}",
    ])


def _looking_away_line(results: list[FrameResult]) -> list[str]:
    """The summary's line on the patient turned away (none when never)."""
    turned = sum(r.turned_away for r in results)
    if not turned:
        return []
    away = looking_away(results)
    return [f"  turned away {100 * turned / max(len(results), 1):.1f} % of frames (not read); "
            f"{away.count} looking-away episode{'s' * (away.count != 1)}, "
            f"{away.total_s:.1f} s in all, longest "
            f"{away.longest_s:.1f} s"]


def run_job(job: Job, analyzer: Analyzer, max_frames: int | None, notes: list[Note],
            threshold: Threshold, span: tuple[float, float] | None = None,
            live: LiveOptions | None = None) -> None:
    """Analyse `job`'s recording into its CSV (and PDF, notes CSV) and print its summary;
    a failure is a CoreError naming the rows kept in the CSV. `live`: how a camera or live
    stream rides out a lost signal (default: it ends the job, StreamStopped)."""
    src = open_source(job.spec, live=live or LiveOptions(reconnect_s=0.0))
    results: list[FrameResult] = []  # frozen tuples: ~50 MB an hour, for summary and report
    try:
        with FramesCsvWriter(job.csv, analyzer.classes, threshold=threshold,
                             raw=span is not None,
                             outages=(lambda: src.outages) if src.live else None) as writer, tqdm(
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
            except StreamStopped as exc:  # the CSV holds every frame that came
                raise StreamStopped(f"{exc}; all in {job.csv}") from None
            except CoreError as exc:
                raise CoreError(f"{exc} ({writer.rows} rows kept in {job.csv})") from None
            except KeyboardInterrupt:
                raise KeyboardInterrupt(f"{writer.rows} rows kept in {job.csv}") from None
            seconds = time.perf_counter() - start
    finally:
        src.close()
    shown = baseline.apply(results, analyzer.classes) if baseline else results
    print(summary(src.name, job.csv, shown, seconds, analyzer, threshold.value,
                  results if baseline else None), flush=True)
    if baseline is not None:
        print(f"  baseline    {baseline.describe(analyzer.classes)}", flush=True)
        if why := rest_check_frames(results, analyzer.classes, baseline.start_s,
                                    baseline.end_s, threshold.value or 0.5):
            print(f"warning: {why}", file=sys.stderr, flush=True)
    events = []
    if src.live:
        outages = [o for o in src.outages if o.end_s is not None]  # gaps within the run
        print(f"  signal      {SignalSummary.of(outages).text()}", flush=True)
        events = [e for o in outages for e in outage_events(o)]
    if job.pdf is not None or notes:
        base = job.csv.name.removesuffix(".csv").removesuffix(".frames")
        notes_csv = job.csv.with_name(f"{base}.notes.csv")
        written = export_report(
            results, analyzer.classes, notes,
            replace(SessionMeta.from_analyzer(analyzer, patient_code="", source=src.name),
                    baseline=baseline),
            pdf_path=job.pdf, notes_csv_path=notes_csv if notes else None,
            metrics=load_metrics(analyzer.classifier.path), threshold=threshold,
            events=events,
        )
        for path in written:
            print(f"  wrote       {path}", flush=True)
