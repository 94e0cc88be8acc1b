"""The networks: `cnn7` (7 convolutional + 2 fully connected layers, after the original study's
design) and the seed's baselines `resnet` (ResNet-18's shape) and `vgg16` (VGG-16's shape),
adapted to 48x48 and trained from scratch (no pretrained weights can be fetched).

`make_core` is the network that ships (raw 0-255 pixels in, softmax out, scaling inside); the
layer before the softmax is always `fc2`, the logits the exported graph starts from.
`make_augmenter` is the train-time augmentation, kept as Keras layers in front of the core
during training only, so the exported graph carries no random ops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
from keras import layers

INPUT_SHAPE = (48, 48, 1)
ARCHS = ("cnn7", "resnet", "vgg16")


@dataclass(frozen=True)
class HParams:
    learning_rate: float = 2e-3
    width: int = 32  # channels of the first block; blocks double it: w, 2w, 4w, 8w
    dropout: float = 0.4  # before each dense layer; blocks use half of it
    weight_decay: float = 5e-4
    batch_size: int = 128
    label_smoothing: float = 0.1
    mixup: float = 0.2  # probability that a batch is mixed (CutMix/MixUp); 0 disables
    arch: str = "cnn7"
    optimizer: str = "adamw"  # or "sgd": Nesterov momentum 0.9 (the literature's recipes)
    ema: float = 0.0  # momentum of a moving average of the weights, which validation, the
    # best checkpoint and the export then use; 0: off

    def __post_init__(self):
        if self.optimizer not in ("adamw", "sgd"):
            raise ValueError(f"optimizer must be adamw or sgd, not {self.optimizer!r}")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1), not {self.ema}")

    def to_dict(self) -> dict:
        return asdict(self)


def _conv(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def make_core(hp: HParams, num_classes: int) -> keras.Model:
    """The network named by `hp.arch`. Layers take the global dtype policy (mixed_bfloat16
    while training, float32 for export)."""
    builders = {"cnn7": _cnn7, "resnet": _resnet, "vgg16": _vgg16}
    if hp.arch not in builders:
        raise ValueError(f"unknown architecture {hp.arch!r}: choose from {', '.join(ARCHS)}")
    inp = keras.Input(INPUT_SHAPE, name="pixels")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(inp)
    x = builders[hp.arch](x, hp)
    x = layers.Dropout(hp.dropout, name="d4")(x)
    x = layers.Dense(8 * hp.width, use_bias=False, name="fc1")(x)
    x = layers.BatchNormalization(momentum=0.9, name="fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.Dropout(hp.dropout, name="d5")(x)
    # Softmax in float32 even under mixed precision: probabilities must sum to 1.
    out = layers.Dense(num_classes, name="fc2")(x)
    out = layers.Activation("softmax", dtype="float32", name="probs")(out)
    return keras.Model(inp, out, name=f"fer_{hp.arch}")


def logits_of(core: keras.Model, name: str | None = None) -> keras.Model:
    """The same network up to `fc2`: logits, for calibration and class collapsing at export."""
    return keras.Model(core.input, core.get_layer("fc2").output, name=name or f"{core.name}_z")


def _cnn7(x, hp: HParams):
    """conv x7 in four stages (48 -> 24 -> 12 -> 6), global average pooling (then dense x2)."""
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
    return layers.GlobalAveragePooling2D(name="gap")(x)


def _basic_block(x, filters: int, stride: int, name: str):
    """ResNet's basic block: two 3x3 convs with a (projected) identity shortcut."""
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(momentum=0.9, name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def _resnet(x, hp: HParams):
    """ResNet-18's shape for 48x48: a 3x3 stem (no 7x7/stride-4 stem, which would leave 12x12),
    four stages of two basic blocks at widths w, 2w, 4w, 8w (48 -> 24 -> 12 -> 6), GAP."""
    w = hp.width
    x = _conv(x, w, "stem")
    for s, (filters, stride) in enumerate([(w, 1), (2 * w, 2), (4 * w, 2), (8 * w, 2)]):
        x = _basic_block(x, filters, stride, f"s{s + 1}b1")
        x = _basic_block(x, filters, 1, f"s{s + 1}b2")
        if s >= 1:
            x = layers.SpatialDropout2D(hp.dropout / 2, name=f"s{s + 1}_drop")(x)
    return layers.GlobalAveragePooling2D(name="gap")(x)


def _vgg16(x, hp: HParams):
    """VGG-16's 13 convs (2-2-3-3-3 at widths w, 2w, 4w, 8w, 8w) with batch norm, five
    poolings 48 -> 1; the two dense layers follow as in every arch here."""
    w = hp.width
    stages = [(2, w), (2, 2 * w), (3, 4 * w), (3, 8 * w), (3, 8 * w)]
    for s, (n, filters) in enumerate(stages):
        for i in range(n):
            x = _conv(x, filters, f"v{s + 1}_{i + 1}")
        x = layers.MaxPooling2D(name=f"vp{s + 1}")(x)
        if s >= 1:
            x = layers.SpatialDropout2D(hp.dropout / 2, name=f"vd{s + 1}")(x)
    return layers.Flatten(name="flat")(x)


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
