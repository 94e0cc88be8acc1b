"""The CNN: 7 convolutional + 2 fully connected layers, after the original study's design.

`make_core` is the network that ships (raw 0-255 pixels in, softmax out, scaling inside).
`make_augmenter` is the train-time augmentation, kept as Keras layers in front of the core
during training only, so the exported graph carries no random ops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
from keras import layers

INPUT_SHAPE = (48, 48, 1)


@dataclass(frozen=True)
class HParams:
    learning_rate: float = 2e-3
    width: int = 32  # channels of the first block; blocks double it: w, 2w, 4w, 8w
    dropout: float = 0.4  # before each dense layer; blocks use half of it
    weight_decay: float = 5e-4
    batch_size: int = 128
    label_smoothing: float = 0.1
    mixup: float = 0.2  # probability that a batch is mixed (CutMix/MixUp); 0 disables

    def to_dict(self) -> dict:
        return asdict(self)


def _conv(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def make_core(hp: HParams, num_classes: int) -> keras.Model:
    """conv x7 in four stages (48 -> 24 -> 12 -> 6), global average pooling, dense x2.

    Layers take the global dtype policy (mixed_bfloat16 while training, float32 for export).
    """
    inp = keras.Input(INPUT_SHAPE, name="pixels")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(inp)
    w = hp.width
    block_drop = hp.dropout / 2
    x = _conv(x, w, "c1")
    x = _conv(x, w, "c2")
    x = layers.MaxPooling2D(name="p1")(x)
    x = _conv(x, 2 * w, "c3")
    x = _conv(x, 2 * w, "c4")
    x = layers.MaxPooling2D(name="p2")(x)
    x = layers.SpatialDropout2D(block_drop, name="d2")(x)
    x = _conv(x, 4 * w, "c5")
    x = _conv(x, 4 * w, "c6")
    x = layers.MaxPooling2D(name="p3")(x)
    x = layers.SpatialDropout2D(block_drop, name="d3")(x)
    x = _conv(x, 8 * w, "c7")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(hp.dropout, name="d4")(x)
    x = layers.Dense(8 * w, use_bias=False, name="fc1")(x)
    x = layers.BatchNormalization(momentum=0.9, name="fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.Dropout(hp.dropout, name="d5")(x)
    # Softmax in float32 even under mixed precision: probabilities must sum to 1.
    out = layers.Dense(num_classes, name="fc2")(x)
    out = layers.Activation("softmax", dtype="float32", name="probs")(out)
    return keras.Model(inp, out, name="fer_cnn")


def make_augmenter(seed: int) -> keras.Sequential:
    """Flips, small shifts/rotations/zooms, contrast jitter and random erasing.

    float32 whatever the global policy: it feeds the tf.data pipeline, not the bf16 model.
    """
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed, dtype="float32"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=seed + 1, dtype="float32"),
            layers.RandomRotation(0.04, fill_mode="nearest", seed=seed + 2, dtype="float32"),
            layers.RandomZoom((-0.15, 0.1), fill_mode="nearest", seed=seed + 3, dtype="float32"),
            layers.RandomContrast(0.3, value_range=(0, 255), seed=seed + 4, dtype="float32"),
            layers.RandomErasing(
                factor=0.5, scale=(0.02, 0.15), value_range=(0, 255), seed=seed + 5,
                dtype="float32",
            ),
        ],
        name="augment",
    )
