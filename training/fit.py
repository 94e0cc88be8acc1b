"""Fitting one configuration: used by every search trial and by the final, resumable fit."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from training.data import Dataset
from training.model import HParams, make_core
from training.pipeline import eval_dataset, train_dataset

DONE_FILE = "done.json"  # written when a fit ends; its presence means "reload, don't train"
FIT_SUMMARY = ("best_val_accuracy", "epochs_run", "images_per_s", "seconds")  # what done.json keeps

log = logging.getLogger("fer-train")


@dataclass
class FitResult:
    model: keras.Model
    best_val_accuracy: float
    epochs_run: int
    images_per_s: float
    seconds: float
    history: dict


class ProgressLog(keras.callbacks.Callback):
    """One line per epoch (epoch i/N, losses, accuracies, throughput) to the run's log."""

    def __init__(self, total_epochs: int, n_images: int, prefix: str = ""):
        super().__init__()
        self.total, self.n_images, self.prefix = total_epochs, n_images, prefix
        self.train_seconds = 0.0
        self.images = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_test_begin(self, logs=None):
        # Throughput counts training only, not the validation pass.
        if hasattr(self, "_t"):
            self._train_dt = time.perf_counter() - self._t

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        dt = getattr(self, "_train_dt", time.perf_counter() - self._t)
        self.train_seconds += dt
        self.images += self.n_images
        log.info(
            "%sepoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.0f img/s  (%.0f s)",
            self.prefix, epoch + 1, self.total, logs.get("loss", math.nan),
            logs.get("accuracy", math.nan), logs.get("val_loss", math.nan),
            logs.get("val_accuracy", math.nan), self.n_images / max(dt, 1e-9),
            time.perf_counter() - self._t,
        )

    @property
    def images_per_s(self) -> float:
        return self.images / self.train_seconds if self.train_seconds else 0.0


class BestCheckpoint(keras.callbacks.Callback):
    """Saves the weights of the best validation epoch; its record survives a resume."""

    def __init__(self, workdir: Path):
        super().__init__()
        self.weights = workdir / "best.weights.h5"
        self.record = workdir / "best.json"
        self.best = -1.0
        if self.record.exists() and self.weights.exists():
            self.best = json.loads(self.record.read_text())["val_accuracy"]

    def on_epoch_end(self, epoch, logs=None):
        acc = (logs or {}).get("val_accuracy")
        if acc is not None and acc > self.best:
            self.best = float(acc)
            self.model.save_weights(str(self.weights))
            self.record.write_text(json.dumps({"val_accuracy": self.best, "epoch": epoch + 1}))


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
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=hp.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )


def fit(
    hp: HParams,
    train: Dataset,
    val: Dataset,
    epochs: int,
    seed: int,
    workdir: Path | None = None,
    prefix: str = "",
    patience: int | None = None,
    verbose: int = 0,
) -> FitResult:
    """Train `hp` for `epochs`; keep the weights of the best validation epoch.

    With `workdir`, the run backs up every epoch and resumes from there when started again
    (a session cut off mid-fit loses at most one epoch). A finished fit leaves `done.json`
    (Keras deletes its backup at the end), so starting it again reloads the best weights
    instead of training anew.
    """
    keras.utils.set_random_seed(seed)
    model = make_core(hp, len(train.classes))
    checkpoint = BestCheckpoint(workdir) if workdir is not None else None
    if checkpoint is not None and (workdir / DONE_FILE).exists() and checkpoint.weights.exists():
        model.load_weights(str(checkpoint.weights))
        return FitResult(model, history={}, **json.loads((workdir / DONE_FILE).read_text()))
    batch = min(hp.batch_size, len(train))  # tiny data sets (tests) still train
    steps = len(train) // batch
    compile_model(model, hp, steps, epochs)
    progress = ProgressLog(epochs, steps * batch, prefix)
    callbacks: list[keras.callbacks.Callback] = [progress]
    best_path = None
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        best_path = checkpoint.weights
        # Restore first so the best-checkpoint callback sees the resumed epoch numbers.
        restore = keras.callbacks.BackupAndRestore(str(workdir / "backup"))
        callbacks = [restore, checkpoint, progress]
    if patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", mode="max", patience=patience,
                restore_best_weights=best_path is None,
            )
        )
    t0 = time.perf_counter()
    history = model.fit(
        train_dataset(train, batch, seed, hp.mixup),
        validation_data=eval_dataset(val),
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = time.perf_counter() - t0
    if best_path is not None and best_path.exists():
        model.load_weights(str(best_path))
    val_acc = history.history.get("val_accuracy", [])
    best = float(np.max(val_acc)) if val_acc else float("nan")
    if best_path is not None and best_path.exists():
        best = float(evaluate_accuracy(model, val))
    result = FitResult(model, best, len(val_acc), progress.images_per_s, seconds, history.history)
    if workdir is not None:
        (workdir / DONE_FILE).write_text(json.dumps({k: getattr(result, k) for k in FIT_SUMMARY}))
    return result


def predict(model: keras.Model, ds: Dataset, flip: bool = False) -> np.ndarray:
    """Probabilities [N, K]; with `flip`, averaged with the mirrored images (test-time flip)."""
    x = ds.images.astype(np.float32)
    p = model.predict(x, batch_size=256, verbose=0).astype(np.float64)
    if flip:
        p = (p + model.predict(x[:, :, ::-1, :], batch_size=256, verbose=0)) / 2
    return p


def evaluate_accuracy(model: keras.Model, ds: Dataset, flip: bool = False) -> float:
    return float((predict(model, ds, flip).argmax(1) == ds.labels).mean())
