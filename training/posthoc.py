"""What is fitted on the validation split after training, in this order: mirror-image averaging
(kept if it helps), the temperature (calibrate.py), the class offsets (balance.py) and the
top-probability map (calibrate.py). All of it goes inside the exported graph."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from training import calibrate
from training.targets import accuracy

log = logging.getLogger("fer-train")


@dataclass
class PostHoc:
    flip: bool
    temperature: float
    bias: np.ndarray | None
    top: dict
    score_plain: float
    score_flip: float

    def probs(self, logits: np.ndarray) -> np.ndarray:
        """logits [V, N, K] of the chosen views -> the exported graph's probabilities."""
        p = calibrate.calibrated_probs(logits, self.temperature, self.bias)
        return calibrate.apply_top_map(p, self.top["knots"])


def fit_posthoc(val_z: dict[bool, np.ndarray], truths: dict[str, np.ndarray], flip_tta: str,
                calibrate_on: bool, balance: str, seed: int) -> PostHoc:
    """`val_z[flip]`: validation logits [V, N, K] without / with the mirror image."""

    def score(z: np.ndarray) -> float:
        p = calibrate.calibrated_probs(z, 1.0)
        return float(np.nanmean([accuracy(truths[k], p) for k in ("original", "consensus")]))

    plain, flipped = score(val_z[False]), score(val_z[True])
    flip = flip_tta == "on" or (flip_tta == "auto" and flipped > plain)
    log.info("validation score %.4f plain, %.4f with flip -> flip %s",
             plain, flipped, "on" if flip else "off")
    z = val_z[flip]
    temperature = calibrate.fit_temperature(z, truths["original"]) if calibrate_on else 1.0
    log.info("temperature %.3f (fitted on validation, original labels)", temperature)
    bias = None
    if balance == "recall" and (truths["consensus"] >= 0).any():
        from training.balance import fit_class_bias, worst_recall

        before = worst_recall(calibrate.calibrated_probs(z, temperature), truths)
        bias = fit_class_bias(z, temperature, truths)
        after = worst_recall(calibrate.calibrated_probs(z, temperature, bias), truths)
        log.info("class offsets %s: validation worst recall %.3f -> %.3f, mean accuracy %.4f "
                 "-> %.4f", np.round(bias, 2).tolist(), before[0], after[0], before[1],
                 after[1])
    top: dict = {"knots": None}
    if calibrate_on:
        top = calibrate.choose_top_map(calibrate.calibrated_probs(z, temperature, bias),
                                       truths["original"], seed)
        log.info("top-probability map: validation ECE %.4f without, %.4f cross-fitted -> %s",
                 top["val_ece_without"], top["val_ece_cross_fitted"],
                 "kept" if top["knots"] else "dropped")
    return PostHoc(flip, temperature, bias, top, plain, flipped)
