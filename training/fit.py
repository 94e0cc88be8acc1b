"""Fitting one configuration: used by every search trial and by the final, resumable fit.

Validation is judged on the output classes against both truths (targets.Task): each epoch the
net's probabilities are collapsed to the output classes and scored against the original labels
(`val_accuracy`) and the FER+ raters' majority (`val_consensus`); their mean (`val_score`) picks
the best epoch and drives early stopping.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from training import atomic
from training.data import DataError, Dataset
from training.model import HParams, make_core
from training.pipeline import train_dataset
from training.targets import Task, accuracy

DONE_FILE = "done.json"  # written when a fit ends; its presence means "reload, don't train"
WEIGHTS_FILE = "best.weights.h5"  # the best validation epoch's weights
FIT_SUMMARY = ("best_val_score", "best_val_accuracy", "best_val_consensus", "epochs_run",
               "images_per_s", "seconds")  # what done.json keeps (and cpu_seconds, newer)

log = logging.getLogger("fer-train")


@dataclass
class FitResult:
    model: keras.Model
    best_val_score: float
    best_val_accuracy: float
    best_val_consensus: float
    epochs_run: int
    images_per_s: float
    seconds: float
    history: dict
    cpu_seconds: float = math.nan  # CPU time of the fit, all threads; unknown for older runs


def val_scores(probs: np.ndarray, val: Dataset, task: Task) -> dict[str, float]:
    """`val_accuracy` (original labels), `val_consensus` (raters' majority), `val_score`."""
    p = task.collapse(probs)
    truths = task.truths(val)
    orig, cons = accuracy(truths["original"], p), accuracy(truths["consensus"], p)
    score = orig if math.isnan(cons) else (orig + cons) / 2
    return {"val_accuracy": orig, "val_consensus": cons, "val_score": score}


class TwoTruthValidation(keras.callbacks.Callback):
    """Scores the epoch's weights on the validation split and puts the figures in the logs,
    for the checkpoint, early stopping and the progress line that follow it."""

    def __init__(self, val: Dataset, task: Task):
        super().__init__()
        self.x = val.images.astype(np.float32)
        self.val, self.task = val, task

    def on_epoch_end(self, epoch, logs=None):
        t0 = time.perf_counter()
        probs = self.model.predict(self.x, batch_size=512, verbose=0)
        if logs is not None:
            logs.update(val_scores(probs, self.val, self.task))
            logs["val_seconds"] = time.perf_counter() - t0


class ProgressLog(keras.callbacks.Callback):
    """One line per epoch (epoch i/N, losses, accuracies, throughput) to the run's log.

    With a `record` file, the totals (epochs, training seconds, images, CPU seconds) carry over
    resumes, so a fit spread over several sittings reports its whole cost. The CPU seconds (every
    thread, validation included) are the cost that a shared or paused machine does not distort:
    wall time counts the time other work or SIGSTOP took."""

    def __init__(self, total_epochs: int, n_images: int, prefix: str = "",
                 record: Path | None = None):
        super().__init__()
        self.total, self.n_images, self.prefix, self.record = (
            total_epochs, n_images, prefix, record)
        prior = (atomic.read_json(record) if record is not None else None) or {}
        self.train_seconds = float(prior.get("train_seconds", 0.0))
        self.images = int(prior.get("images", 0))
        self.epochs = int(prior.get("epochs", 0))
        # A record from before CPU time was kept: the total is unknown, not the part since.
        self.cpu_seconds = float(prior.get("cpu_seconds", math.nan if prior else 0.0))

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()
        self._cpu = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        # Throughput counts training only, not the validation pass.
        dt = time.perf_counter() - self._t - logs.get("val_seconds", 0.0)
        cpu = time.process_time() - self._cpu
        self.train_seconds += dt
        self.cpu_seconds += cpu
        self.images += self.n_images
        self.epochs = epoch + 1
        if self.record is not None:
            atomic.write_json(self.record, {"epochs": self.epochs, "images": self.images,
                                            "train_seconds": self.train_seconds,
                                            "cpu_seconds": self.cpu_seconds})
        log.info(
            "%sepoch %d/%d  loss %.4f  acc %.4f  val_acc %.4f  val_consensus %.4f  "
            "%.0f img/s  (%.0f s, CPU %.0f s)",
            self.prefix, epoch + 1, self.total, logs.get("loss", math.nan),
            logs.get("accuracy", math.nan), logs.get("val_accuracy", math.nan),
            logs.get("val_consensus", math.nan), self.n_images / max(dt, 1e-9),
            time.perf_counter() - self._t, cpu,
        )

    @property
    def images_per_s(self) -> float:
        return self.images / self.train_seconds if self.train_seconds else 0.0


class BestCheckpoint(keras.callbacks.Callback):
    """Saves the weights of the best validation epoch (by `val_score`); its record survives a
    resume. Both files are replaced atomically, so a cut-off session never leaves them torn."""

    def __init__(self, workdir: Path):
        super().__init__()
        self.weights = workdir / WEIGHTS_FILE
        self.record = workdir / "best.json"
        self.best = -1.0
        rec = atomic.read_json(self.record) if self.weights.exists() else None
        if isinstance(rec, dict):
            self.best = float(rec.get("val_score", rec.get("val_accuracy", -1.0)))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        score = logs.get("val_score")
        if score is not None and score > self.best:
            self.best = float(score)
            tmp = self.weights.with_name(".best.tmp.weights.h5")
            self.model.save_weights(str(tmp))
            os.replace(tmp, self.weights)
            atomic.write_json(self.record, {
                "val_score": self.best, "val_accuracy": logs.get("val_accuracy"),
                "val_consensus": logs.get("val_consensus"), "epoch": epoch + 1})


class EmaSwap(keras.callbacks.Callback):
    """At each epoch's end, puts the optimizer's moving average of the weights into the model
    (`into`) or takes it back out: placed around validation and the best checkpoint, they see
    the average while training and its backup keep the raw weights (so a resume is exact)."""

    def __init__(self, swapper: keras.callbacks.SwapEMAWeights, into: bool):
        super().__init__()
        self.swapper, self.into = swapper, into

    def on_epoch_end(self, epoch, logs=None):
        self.swapper.set_model(self.model)
        (self.swapper.on_test_begin if self.into else self.swapper.on_test_end)()


def compile_model(model: keras.Model, hp: HParams, steps_per_epoch: int, epochs: int) -> None:
    total = max(1, steps_per_epoch * epochs)
    warmup = min(total // 10, steps_per_epoch * 3)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=hp.learning_rate * 0.05,
        decay_steps=max(1, total - warmup),
        alpha=0.01,
        warmup_target=hp.learning_rate,
        warmup_steps=warmup,
    )
    ema = {"use_ema": hp.ema > 0, "ema_momentum": hp.ema or 0.99}
    optimizer = (keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True,
                                      weight_decay=hp.weight_decay, **ema)
                 if hp.optimizer == "sgd"
                 else keras.optimizers.AdamW(schedule, weight_decay=hp.weight_decay, **ema))
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )


def fit(
    hp: HParams,
    train: Dataset,
    val: Dataset,
    epochs: int,
    seed: int,
    task: Task,
    workdir: Path | None = None,
    prefix: str = "",
    patience: int | None = None,
    verbose: int = 0,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> FitResult:
    """Train `hp` for `epochs` on `task`'s targets; keep the weights of the best validation
    epoch. Extra `callbacks` (e.g. a tuner's reporter) run after validation each epoch.

    With `workdir`, the run backs up every epoch and resumes from there when started again
    (a session cut off mid-fit loses at most one epoch). A finished fit leaves `done.json`
    (Keras deletes its backup at the end), so starting it again reloads the best weights
    instead of training anew.
    """
    keras.utils.set_random_seed(seed)
    model = make_core(hp, len(task.train_classes))
    checkpoint = BestCheckpoint(workdir) if workdir is not None else None
    if checkpoint is not None and checkpoint.weights.exists():
        done = atomic.read_json(workdir / DONE_FILE)
        if isinstance(done, dict) and set(FIT_SUMMARY) <= set(done):
            _load(model, checkpoint.weights)
            cpu = done.get("cpu_seconds")
            return FitResult(model, history={}, cpu_seconds=math.nan if cpu is None else float(cpu),
                             **{k: done[k] for k in FIT_SUMMARY})
    batch = min(hp.batch_size, len(train))  # tiny data sets (tests) still train
    steps = len(train) // batch
    compile_model(model, hp, steps, epochs)
    progress = ProgressLog(epochs, steps * batch, prefix,
                           workdir / "progress.json" if workdir is not None else None)
    validation = TwoTruthValidation(val, task)
    judged: list[keras.callbacks.Callback] = [validation]
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        judged.append(checkpoint)
    swapper = keras.callbacks.SwapEMAWeights() if hp.ema > 0 else None
    if swapper is not None:
        judged = [EmaSwap(swapper, into=True), *judged, EmaSwap(swapper, into=False)]
    cbs: list[keras.callbacks.Callback] = judged
    if workdir is not None:
        # Restore first so the best-checkpoint callback sees the resumed epoch numbers; the
        # double checkpoint falls back to the previous epoch if the last backup was cut off.
        cbs = [keras.callbacks.BackupAndRestore(str(workdir / "backup"), double_checkpoint=True),
               *judged]
    cbs += [progress, *(callbacks or [])]
    if patience:
        cbs.append(keras.callbacks.EarlyStopping(
            monitor="val_score", mode="max", patience=patience,
            restore_best_weights=workdir is None,
        ))
    t0 = time.perf_counter()
    history = model.fit(
        train_dataset(train, task.targets(train), batch, seed, hp.mixup),
        epochs=epochs, callbacks=cbs, verbose=verbose,
    )
    seconds = time.perf_counter() - t0
    if swapper is not None:  # the average is the model (a trial without a checkpoint too)
        swapper.set_model(model)
        swapper.on_test_begin()
    if checkpoint is not None and checkpoint.weights.exists():
        _load(model, checkpoint.weights)
    scores = val_scores(predict(model, val), val, task)
    result = FitResult(model, scores["val_score"], scores["val_accuracy"],
                       scores["val_consensus"], progress.epochs, progress.images_per_s,
                       max(seconds, progress.train_seconds), history.history,
                       progress.cpu_seconds)
    if workdir is not None:
        atomic.write_json(workdir / DONE_FILE, {k: getattr(result, k)
                                                for k in (*FIT_SUMMARY, "cpu_seconds")})
    return result


def _load(model: keras.Model, weights: Path) -> None:
    try:
        model.load_weights(str(weights))
    except ValueError:
        raise DataError(f"{weights} was trained with other options (classes, width or arch): "
                        "resume with the same options, or use a fresh --workdir") from None


def predict(model: keras.Model, ds: Dataset) -> np.ndarray:
    """Probabilities [N, K_train] of the net's own softmax."""
    return model.predict(ds.images.astype(np.float32), batch_size=512, verbose=0)
