"""hyperopt TPE search over the learning rate (log-uniform, as the original study) and the
regularisation that matters on FER-2013. Trials are pickled (atomically) after each evaluation,
so a search cut off at a session's end resumes where it stopped (`--resume`); a resumed search
draws new random states, so it never repeats a trial already run."""

from __future__ import annotations

import json
import logging
import math
from functools import partial
from pathlib import Path

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

from training import atomic
from training.data import Dataset
from training.fit import fit
from training.model import HParams
from training.targets import Task

log = logging.getLogger("fer-train")

BATCH_CHOICES = [64, 128]
SPACE = {
    "learning_rate": hp.loguniform("learning_rate", math.log(3e-4), math.log(6e-3)),
    "dropout": hp.uniform("dropout", 0.2, 0.55),
    "weight_decay": hp.loguniform("weight_decay", math.log(1e-5), math.log(5e-3)),
    "label_smoothing": hp.uniform("label_smoothing", 0.0, 0.2),
    "mixup": hp.uniform("mixup", 0.0, 0.5),
    "batch_size": hp.choice("batch_size", BATCH_CHOICES),
}
# A session affords ~10 trials, not TPE's default 20 random ones: start modelling sooner.
N_STARTUP = 4


def params_to_hparams(params: dict, width: int, arch: str = "cnn7") -> HParams:
    return HParams(
        arch=arch,
        learning_rate=float(params["learning_rate"]),
        dropout=float(params["dropout"]),
        weight_decay=float(params["weight_decay"]),
        label_smoothing=float(params["label_smoothing"]),
        mixup=float(params["mixup"]),
        batch_size=int(params["batch_size"]),
        width=width,
    )


def _best_hparams(trials: Trials) -> HParams:
    best = min((t for t in trials.trials if t["result"].get("status") == STATUS_OK),
               key=lambda t: t["result"]["loss"])
    return HParams(**best["result"]["hparams"])


def search_subset(train: Dataset, fraction: float, seed: int) -> Dataset:
    """A stratified `fraction` of `train` (the same for every trial and every resume)."""
    if fraction >= 1.0:
        return train
    rng = np.random.default_rng(seed)
    idx = np.concatenate([
        rng.permutation(np.flatnonzero(train.labels == c))[
            : max(1, int(fraction * (train.labels == c).sum()))]
        for c in range(len(train.classes))
    ])
    return train.subset(rng.permutation(idx))


def run_search(
    train: Dataset,
    val: Dataset,
    task: Task,
    workdir: Path,
    max_evals: int,
    epochs: int,
    fraction: float,
    seed: int,
    width: int,
    resume: bool,
    arch: str = "cnn7",
) -> tuple[HParams, Trials]:
    """Returns the best HParams found. Trials train on a stratified `fraction` of `train`."""
    workdir.mkdir(parents=True, exist_ok=True)
    trials_file = workdir / "trials.pkl"
    if trials_file.exists() and not resume:
        trials_file.unlink()  # a fresh search was asked for
    trials = atomic.read_pickle(trials_file)
    if not isinstance(trials, Trials):
        trials = Trials()
    else:
        log.info("search: resuming with %d finished trial(s)", len(trials.trials))
    sub = search_subset(train, fraction, seed)

    def objective(params: dict) -> dict:
        i = len(trials.trials)
        hparams = params_to_hparams(params, width, arch)
        res = fit(hparams, sub, val, epochs, seed, task, prefix=f"trial {i}/{max_evals} ")
        done = [t["result"]["loss"] for t in trials.trials
                if t["result"].get("status") == STATUS_OK]
        loss = 1.0 - res.best_val_score
        best = min(done + [loss])
        log.info(
            "trial %d/%d  val_score %.4f (original %.4f, consensus %.4f)  best so far %.4f  "
            "(%.0f s)  %s", i, max_evals, res.best_val_score, res.best_val_accuracy,
            res.best_val_consensus, 1 - best, res.seconds, json.dumps(hparams.to_dict()),
        )
        return {"loss": loss, "status": STATUS_OK, "hparams": hparams.to_dict(),
                "val_accuracy": res.best_val_accuracy, "val_consensus": res.best_val_consensus,
                "seconds": res.seconds, "images_per_s": res.images_per_s}

    # One trial per fmin call, each saved atomically; the random state depends on how many
    # trials exist, so a resumed search does not re-draw the first trial's parameters.
    while len(trials.trials) < max_evals:
        n = len(trials.trials)
        fmin(
            objective, SPACE, algo=partial(tpe.suggest, n_startup_jobs=N_STARTUP),
            max_evals=n + 1, trials=trials, rstate=np.random.default_rng([seed, n]),
            show_progressbar=False,
        )
        atomic.write_pickle(trials_file, trials)
    best = _best_hparams(trials)
    atomic.write_json(workdir / "best_params.json", best.to_dict())
    log.info("search: best val_score %.4f with %s",
             1 - min(t["result"]["loss"] for t in trials.trials), json.dumps(best.to_dict()))
    return best, trials


def search_summary(trials: Trials) -> list[dict]:
    return [
        {"trial": i + 1, "val_score": round(1 - t["result"]["loss"], 4),
         "val_accuracy": round(t["result"].get("val_accuracy", 1 - t["result"]["loss"]), 4),
         "val_consensus": round(t["result"].get("val_consensus", float("nan")), 4),
         "seconds": round(t["result"].get("seconds", 0.0), 1), **t["result"]["hparams"]}
        for i, t in enumerate(trials.trials) if t["result"].get("status") == STATUS_OK
    ]
