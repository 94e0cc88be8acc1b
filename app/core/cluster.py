"""`fer-analyze --ray [ADDRESS] FOLDER|LIST.txt --csv OUTDIR`: one Ray task per recording.

Each task runs on some node of the cluster exactly what a local run does for one file (open the
source, `analyze_source`, `FramesCsvWriter`, `export_report`) into a temporary folder there,
and returns the files' bytes; this process writes them where a local run would. So only the
recordings must be on a path every node sees: the outputs come back here, byte for byte what
`fer-analyze FILE` writes. The model file travels through Ray's object store (every node
classifies with the same bytes, checked by SHA-256), so `--model` needs no shared path.

LIST.txt names one recording per line (blank lines and `#` comments skipped; relative paths
are relative to the list's folder). ADDRESS is `host:port` of a cluster's head (`ray start
--head` prints it) or `auto`; without it `ray.init()` joins the cluster started on this
machine, or starts a local Ray on this machine's cores.

Ray's usage statistics are switched off before Ray is imported, and onnxruntime's telemetry in
every worker's environment: nothing leaves the cluster.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from app.core.analysis.sources import STREAM_SCHEMES
from app.core.errors import CoreError, SourceError
from app.core.jobs import Job, output_dir, plan_jobs, print_error, run_job, with_pdf
from app.core.session.notes import Note

# What workers must have in their environment before anything imports onnxruntime or Ray.
WORKER_ENV = {"ORT_DISABLE_TELEMETRY": "1", "RAY_USAGE_STATS_ENABLED": "0"}
_ADDRESS = re.compile(r"^(auto|local|ray://\S+|\[[0-9A-Fa-f:.]+\]:\d+|[\w.-]+:\d+)$")
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[\w.-]+):(?P<port>\d+)$")


def ray_argv(argv: Sequence[str]) -> list[str]:
    """`--ray [ADDRESS]` made unambiguous for argparse: `--ray host:6379 in/` ->
    `--ray=host:6379 in/`, and `--ray in/` -> `--ray= in/` (no address: `in/` is the input,
    not the cluster). Only something shaped like an address is taken as one."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg == "--ray":
            nxt = argv[i + 1] if i + 1 < len(argv) else ""
            if _ADDRESS.match(nxt):
                out.append(f"--ray={nxt}")
                i += 2
                continue
            arg = "--ray="
        out.append(arg)
        i += 1
    return out


@dataclass(frozen=True)
class Task:
    """One recording: what the worker opens and where this process writes its outputs."""

    spec: str
    csv: str
    pdf: str | None = None
    notes_csv: str | None = None


@dataclass(frozen=True)
class ModelShipment:
    """The model's bytes (an object-store reference) and what a worker needs to load it."""

    name: str
    sha256: str  # of the model and its metrics.json
    data: object  # ray.ObjectRef of {file name: bytes}: the model and its metrics.json
    device: str
    smooth_s: float
    detector: str


@dataclass
class Outcome:
    name: str
    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # path -> (bytes, mode)
    summary: str = ""  # what a local run prints for the recording
    frames: int = 0  # rows in its frames CSV
    error: str | None = None
    node: str = ""


def read_list(path: Path) -> list[Path]:
    """The recordings a LIST.txt names; raises SourceError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the list of recordings ({exc})") from None
    files = []
    for n, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.isdigit() or entry.lower().startswith(STREAM_SCHEMES):
            raise SourceError(f"{path}:{n}: {entry!r} is not a recording file "
                              "(cameras and streams are not analysed on a cluster)")
        p = Path(entry).expanduser()
        files.append(p if p.is_absolute() else path.parent / p)
    if not files:
        raise SourceError(f"{path}: the list names no recording")
    return files


def plan(spec: str, csv: Path | None, pdf: Path | None, with_notes: bool) -> list[Task]:
    """Tasks for a folder, a LIST.txt or one file, with the output paths a local run uses."""
    path = Path(spec)
    if spec.strip().isdigit() or spec.lower().startswith(STREAM_SCHEMES):
        raise SourceError(f"{spec}: --ray analyses recordings (a folder, a LIST.txt or a "
                          "file), not a camera or a stream")
    if path.is_file() and path.suffix.lower() == ".txt":
        files = read_list(path)
        if csv is None:
            raise CoreError("--csv OUTDIR is needed with a list of recordings")
        names = [f.name for f in files]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise SourceError(f"{path}: two recordings share a file name ({', '.join(twice)}); "
                              "their outputs would overwrite each other in one folder")
        csv = output_dir(csv, "--csv")
        jobs = [Job(str(f), csv / f"{f.name}.frames.csv") for f in files]
        jobs = with_pdf(jobs, pdf, folder=True)
    else:
        jobs = with_pdf(plan_jobs(spec, csv), pdf, folder=path.is_dir())
    tasks = []
    for j in jobs:
        base = j.csv.name.removesuffix(".csv").removesuffix(".frames")
        notes_csv = j.csv.with_name(f"{base}.notes.csv") if with_notes else None
        tasks.append(Task(j.spec, str(j.csv), str(j.pdf) if j.pdf else None,
                          str(notes_csv) if notes_csv else None))
    return tasks


# --- the worker side -----------------------------------------------------------------------

_ANALYZERS: dict[tuple, object] = {}  # one Analyzer per worker process and model/settings


def _worker_analyzer(model: ModelShipment):
    """The Analyzer for `model`, loaded once per worker process from a node-local copy (the
    same file names as on the driver: reports name the model, metrics.json sits beside it)."""
    key = (model.sha256, model.device, model.smooth_s, model.detector)
    if key not in _ANALYZERS:
        import ray

        from app.core.analysis.analyzer import Analyzer

        folder = Path(tempfile.gettempdir()) / "fer-companion-models" / model.sha256
        if not (folder / model.name).is_file():
            files = ray.get(model.data)
            if _digest(files) != model.sha256:
                raise CoreError(f"{model.name}: model bytes damaged in transit")
            folder.mkdir(parents=True, exist_ok=True)
            for name in sorted(files, key=lambda n: n == model.name):  # the model last
                part = folder / f".{name}.{os.getpid()}.part"
                part.write_bytes(files[name])
                os.replace(part, folder / name)  # atomic: other workers may race here
        _ANALYZERS[key] = Analyzer(folder / model.name, device=model.device,
                                   smooth_s=model.smooth_s, detector=model.detector)
    return _ANALYZERS[key]


def analyze_task(task: Task, model: ModelShipment, max_frames: int | None,
                 notes: Sequence[Note], threshold, span=None) -> Outcome:
    """Body of one Ray task: the local command's own `run_job` for one recording, into a
    temporary folder whose files (and the paths in what it prints) are mapped back to
    `task`'s."""
    from app.core.analysis.sources import quiet_native_logs

    quiet_native_logs()
    out = Outcome(name=Path(task.spec).name, node=os.uname().nodename)
    with tempfile.TemporaryDirectory(prefix="fer-analyze-") as tmp:
        csv = Path(tmp) / Path(task.csv).name  # same name: run_job derives the notes CSV's
        pdf = Path(tmp) / "report.pdf" if task.pdf else None
        local = {csv: task.csv, pdf: task.pdf}
        if task.notes_csv:
            local[csv.with_name(Path(task.notes_csv).name)] = task.notes_csv
        printed = io.StringIO()
        try:
            analyzer = _worker_analyzer(model)
            with contextlib.redirect_stdout(printed):
                run_job(Job(task.spec, csv, pdf), analyzer, max_frames, list(notes),
                        threshold, span)
        except CoreError as exc:
            out.error = str(exc)
        except OSError as exc:
            out.error = f"cannot write {exc.filename or csv}: {exc.strerror or exc}"
        except Exception as exc:  # a bug, not bad input: reported by name, the others go on
            out.error = f"unexpected {type(exc).__name__}: {exc} (please report)"
        for path, dest in local.items():
            if path is not None and path.is_file():  # partial CSVs too, as a local run keeps
                out.files[dest] = (path.read_bytes(), path.stat().st_mode & 0o777)
        if task.csv in out.files:  # one line per frame after the header, no quoted newlines
            out.frames = max(0, out.files[task.csv][0].count(b"\n") - 1)
        out.summary = printed.getvalue().rstrip("\n")
        for path, dest in local.items():
            if path is not None:
                out.summary = out.summary.replace(str(path), dest)
                out.error = out.error and out.error.replace(str(path), dest)
    return out


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


# --- the driver side -----------------------------------------------------------------------

def _write(outcome: Outcome) -> None:
    for dest, (data, mode) in outcome.files.items():
        path = Path(dest)
        try:  # created with its mode (0600 for patient data), never briefly wider
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), mode)
                f.write(data)
        except OSError as exc:
            raise CoreError(f"cannot write {path}: {exc.strerror or exc}") from None


def _import_ray():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # before Ray is imported: no usage reports
    for key, value in WORKER_ENV.items():
        os.environ.setdefault(key, value)
    # Join clusters with their shared token (~/.ray/auth_token or RAY_AUTH_TOKEN): Ray 2.60
    # starts heads with token authentication but only sends a token when told to. Ray reads
    # the mode once, on import: set after that, its own local start would lock it out.
    if "ray" not in sys.modules:
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    try:
        import ray
    except ImportError:
        raise CoreError("--ray needs Ray: pip install 'fer-companion[cluster]'") from None
    return ray


def connect(address: str | None, env: dict[str, str] | None = None,
            log_to_driver: bool = False):
    """Join the cluster at `address` (None: the one on this machine, else a local Ray), with
    `env` in the workers' environment besides WORKER_ENV. Returns (ray, started_here). Ray
    already initialised in this process is used as is."""
    ray = _import_ray()
    if ray.is_initialized():
        return ray, False
    if not address:
        address = _running_here(ray)
    if address and (m := _HOST_PORT.match(address)):
        # Ray waits minutes on an address where nothing listens; a plain connect says so now.
        try:
            socket.create_connection((m["host"].strip("[]"), int(m["port"])), timeout=10).close()
        except OSError as exc:
            raise CoreError(f"cannot reach a Ray cluster at {address}: "
                            f"{exc.strerror or exc} (is `ray start --head` running there?)"
                            ) from None
    # Ray's C++ client retries a refused or unauthenticated connection for ~20 s with a
    # warning line a second on stderr; keep those aside and name the cause in one line. (Not
    # when Ray may start here: its processes would inherit the file.)
    remote = address not in (None, "local")
    with _stderr_aside() if remote else contextlib.nullcontext() as aside:
        try:
            ray.init(address=address, runtime_env={"env_vars": {**WORKER_ENV, **(env or {})}},
                     include_dashboard=False, log_to_driver=log_to_driver,
                     logging_level=logging.ERROR)
            failure = None
        except Exception as exc:  # ConnectionError, AuthenticationError...: all one line here
            failure = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            if "Unauthenticated" in (aside() if aside else "") or "AuthToken" in failure:
                failure += (" (token authentication: this machine needs the cluster's token, "
                            "~/.ray/auth_token of the head or RAY_AUTH_TOKEN)")
    if failure is not None:
        where = f"at {address}" if remote else "on this machine"
        raise CoreError(f"cannot start or reach a Ray cluster {where}: {failure}")
    return ray, True


def _running_here(ray) -> str | None:
    """The cluster `ray.init()` would join (RAY_ADDRESS, else the last `ray start` on this
    machine), or None to start a local Ray. A `ray start` that was killed leaves its address
    behind and Ray would wait minutes on it: such an address is dropped here, with a line."""
    try:  # Ray's own lookup (not public API: on any change, let ray.init() decide)
        from ray._private.services import get_ray_address_from_environment

        found = get_ray_address_from_environment(None, None)
    except Exception:
        return None
    if found is None:  # nothing running: say "local" (with token authentication on, Ray
        return "local"  # 2.60's ray.init() fails to start one when given no address)
    m = _HOST_PORT.match(found)
    if m is None or os.environ.get("RAY_ADDRESS"):
        return found  # RAY_ADDRESS is the user's word: checked like an ADDRESS
    try:
        socket.create_connection((m["host"].strip("[]"), int(m["port"])), timeout=3).close()
        return found
    except OSError:
        print(f"No Ray cluster answers at {found} (left by an earlier `ray start`); "
              "starting a local Ray on this machine.", file=sys.stderr, flush=True)
        return "local"


@contextlib.contextmanager
def _stderr_aside():
    """File descriptor 2 into a temporary file for the block (native code writes there);
    yields a function returning what was written so far."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as aside:
        os.dup2(aside.fileno(), 2)

        def text() -> str:
            aside.seek(0)
            return aside.read().decode("utf-8", "replace")

        try:
            yield text
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _ship_model(ray, path: Path, device: str, smooth_s: float, detector: str) -> ModelShipment:
    files = {path.name: path.read_bytes()}
    metrics = path.with_name("metrics.json")  # the report's model figures
    if metrics.is_file():
        files[metrics.name] = metrics.read_bytes()
    return ModelShipment(path.name, _digest(files), ray.put(files), device, smooth_s, detector)


def run(args) -> int:
    """`fer-analyze --ray`: `args` as parsed by `fer-analyze`'s parser (cli.py); returns the
    exit status."""
    from app.core.analysis.analyzer import Analyzer
    from app.core.analysis.uncertainty import threshold_for
    from app.core.report.data import load_metrics
    from app.core.report.notes_csv import read_notes_csv

    started = None
    try:
        tasks = plan(args.input, args.csv, args.pdf, with_notes=args.notes is not None)
        if args.notes is not None and len(tasks) > 1:
            raise CoreError("--notes belongs to one recording, not to a folder")
        # The model is checked here, on the CPU (the device is the workers' business), so a bad
        # model fails in a second instead of once per recording.
        checked = Analyzer(args.model, device="cpu", detector=args.detector)
        notes = read_notes_csv(args.notes, checked.classes) if args.notes else []
        path = checked.classifier.path
        threshold = threshold_for(path, load_metrics(path), args.uncertain_below)
        ray, started = connect(args.ray)
        resources = ray.cluster_resources()
        if args.device == "gpu" and not resources.get("GPU"):
            raise CoreError("--device gpu: no node of the Ray cluster has a GPU")
        model = _ship_model(ray, Path(checked.classifier.path), args.device, args.smooth,
                            args.detector)
    except CoreError as exc:
        print_error(exc)
        _shutdown(started)
        return 1
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    gpus = f", {resources['GPU']:g} GPUs" if resources.get("GPU") else ""
    print(f"Ray: {nodes} node(s), {resources.get('CPU', 0):g} CPUs{gpus}; "
          f"{len(tasks)} recording(s)", flush=True)
    # One recording keeps two cores busy (decoding thread + two classifier threads): two at
    # once on a 2-core node only compete (benchmarks/bench_cluster.py), so a task takes two.
    from app.core.analysis.classifier import CLASSIFY_THREADS

    smallest = min((n["Resources"].get("CPU", 0) for n in ray.nodes() if n.get("Alive")),
                   default=1) or 1
    remote = ray.remote(analyze_task).options(
        num_cpus=min(CLASSIFY_THREADS, smallest), num_gpus=1 if args.device == "gpu" else 0)
    try:
        return _collect(ray, tasks, [
            remote.remote(t, model, args.max_frames, notes, threshold, args.baseline)
            for t in tasks])
    finally:
        _shutdown(started)


def _collect(ray, tasks: list[Task], refs: list) -> int:
    names = {ref: Path(t.spec).name for ref, t in zip(refs, tasks, strict=True)}
    pending, failed, frames, start = list(refs), [], 0, time.perf_counter()
    with tqdm(total=len(refs), unit="recording", file=sys.stderr, disable=None) as bar:
        try:
            while pending:
                (ref,), pending = ray.wait(pending, num_returns=1)
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # the worker or its node died (after Ray's retries)
                    outcome = Outcome(names[ref], error=f"lost on the cluster: "
                                      f"{(str(exc).strip().splitlines() or ['?'])[0]}")
                try:
                    _write(outcome)
                except CoreError as exc:
                    outcome.error = outcome.error or str(exc)
                bar.update()
                frames += outcome.frames
                if outcome.error:
                    failed.append(outcome.name)
                    bar.clear()
                    named = outcome.name in outcome.error
                    print_error(outcome.error if named else f"{outcome.name}: {outcome.error}")
                    continue
                tqdm.write(f"{outcome.summary}\n  node        {outcome.node}", file=sys.stdout)
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)
            print_error(f"interrupted; {len(pending)} recording(s) not analysed")
            return 130
    seconds = time.perf_counter() - start
    done = len(refs) - len(failed)
    print(f"{done} of {len(refs)} recording(s) analysed, {frames} frames in {seconds:.1f} s "
          f"({frames / seconds if seconds > 0 else 0:.1f} frames/s over the cluster)"
          + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


def _shutdown(started: bool | None) -> None:
    if started:
        import ray

        ray.shutdown()
