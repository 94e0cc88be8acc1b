"""tf.data input pipeline: uint8 images + float targets in memory -> augmented float batches.

Augmentation (Keras layers) and MixUp run inside the pipeline, so the model that is saved and
exported stays free of random ops. Class imbalance is handled with per-sample weights taken
from each (soft) target.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from training.data import Dataset, class_weights
from training.model import make_augmenter

# Balanced weights tempered by a square root: rare classes count more without
# trading away much overall accuracy (full balancing costs a few points here). Capped, so the
# 436 disgust images of the seven-class set do not dominate their batches.
WEIGHT_POWER = 0.5
WEIGHT_CAP = 2.0


def _beta(alpha: float, n: tf.Tensor) -> tf.Tensor:
    g1 = tf.random.gamma([n], alpha)
    g2 = tf.random.gamma([n], alpha)
    return g1 / (g1 + g2)


def train_dataset(
    ds: Dataset, targets: np.ndarray, batch_size: int, seed: int, mixup_prob: float,
    mixup_alpha: float = 0.4,
) -> tf.data.Dataset:
    """`targets` float32 [N, K]: one-hot or soft (mixed with the FER+ votes) per image."""
    cw = tf.constant(per_class_weights(ds))
    augment = make_augmenter(seed)

    def prepare(x, y1):
        x = augment(tf.cast(x, tf.float32), training=True)
        if mixup_prob > 0:
            n = tf.shape(x)[0]
            lam = tf.reshape(_beta(mixup_alpha, n), [-1, 1])
            perm = tf.random.shuffle(tf.range(n))
            do = tf.cast(tf.random.uniform([n, 1]) < mixup_prob, tf.float32)
            lam = 1.0 - do * (1.0 - tf.maximum(lam, 1.0 - lam))  # 1 where not mixed
            x = tf.reshape(lam, [-1, 1, 1, 1]) * x + tf.reshape(1 - lam, [-1, 1, 1, 1]) * tf.gather(
                x, perm
            )
            y1 = lam * y1 + (1 - lam) * tf.gather(y1, perm)
        sw = tf.reduce_sum(y1 * cw[None, :], axis=1)
        return x, y1, sw

    return (
        tf.data.Dataset.from_tensor_slices((ds.images, targets.astype(np.float32)))
        .shuffle(len(ds), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
        .map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def per_class_weights(ds: Dataset) -> np.ndarray:
    """Tempered balanced weight per class, scaled so the mean sample weight is 1."""
    k = len(ds.classes)
    w = class_weights(ds.labels, k) ** WEIGHT_POWER
    counts = np.bincount(ds.labels, minlength=k)
    w = w * len(ds) / (w * counts).sum()  # mean sample weight 1
    w = np.minimum(w, WEIGHT_CAP)
    return (w * len(ds) / (w * counts).sum()).astype(np.float32)
