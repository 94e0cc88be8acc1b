"""`fer-train --ray [ADDRESS]`: the TPE search as a Ray Tune experiment, the final fit on a worker.

The search is `training.search`'s own: the same hyperopt space (`SPACE`), TPE with the same
number of random start-up trials, each trial `training.fit.fit` on the same stratified subset
(`search_subset`). Ray Tune's `HyperOptSearch` proposes the trials and runs as many at once as
the cluster has room for (one trial per `cpus` CPUs); each trial reports its validation score
every epoch with a checkpoint (fit's own per-epoch backup), so ASHA stops weak trials early and
an interrupted experiment resumes from Ray's experiment state (`--resume`): finished trials are
kept, the searcher's history is restored and unfinished trials continue from their last epoch.

The experiment lives in `<workdir>/search-ray`, and the final fit writes `<workdir>/final` from
a worker: on a cluster of several machines `--workdir` must be a path every node sees (as the
data set). The driver then reloads that finished fit (fit's `done.json`), so calibration,
evaluation and export run unchanged and write the same files to `--out` as a local run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from training.data import DataError

log = logging.getLogger("fer-train")

METRIC = "val_score"  # what fit's validation callback puts in the epoch logs
EXPERIMENT = "search-ray"
WORKER_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}


class RayError(DataError):
    """One line for the user (the CLI prints it as `fer-train: error: ...`)."""


def connect(address: str | None):
    """Ray joined or started as `fer-analyze --ray` does (usage stats and onnxruntime telemetry
    off, token authentication, one line when the cluster is not there). Returns (ray, started)."""
    from app.core.cluster import connect as join
    from app.core.errors import CoreError

    try:
        return join(address, env=WORKER_ENV, log_to_driver=True)
    except CoreError as exc:
        raise RayError(str(exc)) from None


def _grace(epochs: int) -> int:
    """ASHA's first rung: a trial is judged after this many epochs (a net can sit near chance
    for the first few on this data, DESIGN.md), at the latest a tenth of the way."""
    return min(epochs, max(4, epochs // 10))


def _worker_setup(policy: str, cpus: int) -> None:
    import keras
    import tensorflow as tf

    keras.config.set_dtype_policy(policy)
    try:  # only possible before TensorFlow's first op in this worker process
        tf.config.threading.set_intra_op_parallelism_threads(cpus)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, cpus))
    except RuntimeError:
        pass
    logging.getLogger("ray.train").setLevel(logging.WARNING)  # a line per checkpoint
    if not log.handlers:  # Ray forwards a worker's stdout to the driver's console
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def _trial(config: dict, *, train, val, task, epochs: int, seed: int, width: int, arch: str,
           policy: str, cpus: int) -> None:
    """One Tune trial: fit the configuration, report every epoch with fit's backup as the
    checkpoint, and continue from the last one when Tune restores the trial."""
    import keras
    from ray import tune

    from training.fit import fit
    from training.search import params_to_hparams

    _worker_setup(policy, cpus)

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            metrics = {k: float(logs[k]) for k in (METRIC, "val_accuracy", "val_consensus")
                       if k in logs}
            tune.report({**metrics, "epoch": epoch + 1},
                        checkpoint=tune.Checkpoint.from_directory(str(work)))

    with tempfile.TemporaryDirectory(prefix="fer-trial-") as tmp:
        work = Path(tmp) / "fit"
        checkpoint = tune.get_checkpoint()
        if checkpoint is not None:
            checkpoint.to_directory(str(work))
        hparams = params_to_hparams(config, width, arch)
        trial = tune.get_context().get_trial_name()
        fit(hparams, train, val, epochs, seed, task, workdir=work, prefix=f"{trial} ",
            callbacks=[Report()])


def run_search_ray(train, val, task, args) -> tuple[object, list[dict]]:
    """The search of `training.search.run_search` on Ray Tune. Returns the best HParams and
    one summary row per trial (as `search_summary`), and writes `best_params.json`."""
    import keras

    from training import atomic
    from training.search import N_STARTUP, SPACE, params_to_hparams, search_subset

    ray, started = connect(args.ray)  # first: Ray reads its settings when first imported
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no tables, trial lines
    try:
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler
        from ray.tune.search.hyperopt import HyperOptSearch

        cpus = _cpus_per_task(ray)
        storage = args.workdir.resolve()
        path = storage / EXPERIMENT
        trainable = tune.with_resources(
            tune.with_parameters(
                _trial, train=search_subset(train, args.search_fraction, args.seed), val=val,
                task=task, epochs=args.search_epochs, seed=args.seed, width=args.width,
                arch=args.arch, policy=keras.config.dtype_policy().name, cpus=cpus),
            {"cpu": cpus})
        if args.resume and tune.Tuner.can_restore(str(path)):
            log.info("search on Ray: resuming the experiment in %s", path)
            tuner = tune.Tuner.restore(str(path), trainable, resume_unfinished=True,
                                       resume_errored=True)
        else:
            shutil.rmtree(path, ignore_errors=True)  # a fresh search was asked for
            tuner = tune.Tuner(
                trainable,
                tune_config=tune.TuneConfig(
                    search_alg=HyperOptSearch(SPACE, metric=METRIC, mode="max",
                                              n_initial_points=N_STARTUP,
                                              random_state_seed=args.seed),
                    scheduler=ASHAScheduler(max_t=args.search_epochs,
                                            grace_period=_grace(args.search_epochs),
                                            reduction_factor=3),
                    metric=METRIC, mode="max", num_samples=args.max_evals),
                run_config=tune.RunConfig(
                    name=EXPERIMENT, storage_path=str(storage), verbose=0,
                    checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                    callbacks=[_TrialLog(args.max_evals, args.search_epochs)]),
            )
            log.info("search on Ray: %d trials of %d epochs, %g CPUs per trial, ASHA from "
                     "epoch %d, experiment in %s", args.max_evals, args.search_epochs, cpus,
                     _grace(args.search_epochs), path)
        # Ctrl+C as in a local search: KeyboardInterrupt, "continue with --resume". (Tune's own
        # handler would stop the run but return as if it had ended.) The experiment state and
        # every trial's last epoch are on disk already, as after a power cut.
        os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"
        grid = tuner.fit()
    finally:
        _shutdown(ray, started)
    rows = []
    for i, result in enumerate(grid, 1):
        history = result.metrics_dataframe
        if result.error is not None or history is None or METRIC not in history:
            log.info("search on Ray: trial %d failed: %s", i, str(result.error)[:200])
            continue
        best = history.loc[history[METRIC].idxmax()]
        hp = params_to_hparams(result.config, args.width, args.arch)
        rows.append({"trial": i, "val_score": round(float(best[METRIC]), 4),
                     "val_accuracy": round(float(best.get("val_accuracy", best[METRIC])), 4),
                     "val_consensus": round(float(best.get("val_consensus", float("nan"))), 4),
                     "seconds": round(float(history["time_total_s"].iloc[-1]), 1),
                     "epochs_run": int(history["epoch"].max()), **hp.to_dict()})
    if not rows:
        raise RayError("every trial of the Ray search failed (see the worker lines above)")
    top = max(rows, key=lambda r: r["val_score"])
    best_hp = params_to_hparams(top, args.width, args.arch)
    (args.workdir / "search").mkdir(parents=True, exist_ok=True)
    atomic.write_json(args.workdir / "search" / "best_params.json", best_hp.to_dict())
    log.info("search on Ray: best val_score %.4f (trial %d) with %s", top["val_score"],
             top["trial"], json.dumps(best_hp.to_dict()))
    return best_hp, rows


def _trial_log_class():
    from ray import tune

    class TrialLog(tune.Callback):
        """Trial lines on the driver's console and in train.log."""

        def __init__(self, total: int, epochs: int):
            self.total, self.epochs, self.numbers = total, epochs, {}

        def _n(self, trial) -> int:
            return self.numbers.setdefault(trial.trial_id, len(self.numbers) + 1)

        def on_trial_result(self, iteration, trials, trial, result, **info):
            log.info("trial %d/%d epoch %d/%d  val_score %.4f", self._n(trial), self.total,
                     result.get("epoch", 0), self.epochs, result.get(METRIC, float("nan")))

        def on_trial_complete(self, iteration, trials, trial, **info):
            last = trial.last_result or {}
            stopped = last.get("epoch", self.epochs) < self.epochs
            log.info("trial %d/%d %s after %d epochs: %s", self._n(trial), self.total,
                     "stopped by ASHA" if stopped else "done", last.get("epoch", 0),
                     json.dumps({k: v for k, v in trial.config.items()}))

    return TrialLog


def _TrialLog(total: int, epochs: int):  # noqa: N802 - a class made once Ray is imported
    return _trial_log_class()(total, epochs)


def _cpus_per_task(ray) -> int:
    """A trial or the final fit takes a whole node of the smallest kind: TensorFlow uses every
    core it is given, and two trials on one 2-core node only slow each other down."""
    cpus = [n["Resources"].get("CPU", 0) for n in ray.nodes() if n.get("Alive")]
    return max(1, int(min(c for c in cpus if c > 0))) if any(cpus) else 1


def _shutdown(ray, started: bool) -> None:
    if started:
        ray.shutdown()


def _remote_fit(hp, train, val, epochs, seed, task, workdir, prefix, patience, policy, cpus):
    """The final fit in a Ray task: fit's own checkpoints and done.json land in `workdir`."""
    from training.fit import fit

    _worker_setup(policy, cpus)
    handler = logging.FileHandler(Path(workdir).parent / "train.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    try:
        res = fit(hp, train, val, epochs, seed, task, workdir=workdir, prefix=prefix,
                  patience=patience)
    finally:
        log.removeHandler(handler)
        handler.close()
    return {"epochs_run": res.epochs_run, "best_val_score": res.best_val_score}


def fit_on_a_worker(address: str | None):
    """A drop-in for `training.fit.fit` (called with a `workdir`) that trains on one Ray
    worker and then reloads the finished fit here, so everything after it runs unchanged."""
    from training.fit import fit

    def fit_there(hp, train, val, epochs, seed, task, *, workdir, prefix="", patience=None):
        import keras

        ray, started = connect(address)
        try:
            cpus = _cpus_per_task(ray)
            log.info("%sfit on a Ray worker (%d CPUs); checkpoints in %s", prefix, cpus, workdir)
            task_fn = ray.remote(_remote_fit).options(num_cpus=cpus, max_retries=3)
            ray.get(task_fn.remote(hp, train, val, epochs, seed, task,
                                   Path(workdir).resolve(), prefix, patience,
                                   keras.config.dtype_policy().name, cpus))
        finally:
            _shutdown(ray, started)
        if not (Path(workdir) / "done.json").is_file():
            raise RayError(f"the worker's fit left no {Path(workdir) / 'done.json'}: is "
                           "--workdir on a path every node of the cluster sees?")
        return fit(hp, train, val, epochs, seed, task, workdir=workdir, prefix=prefix,
                   patience=patience)

    return fit_there

