"""`python -m training.ab`: the recipe's A/B table, each change measured at equal wall-clock.

Each arm is a short `fer-train` run (no search, the same hyperparameters, width 32) that differs
from the one before it by one change; the epochs are scaled so every arm sees about the same
number of images (a four-class arm trains on fewer images per epoch). Every arm is judged on the
same validation images against both truths (targets.py). Results go to `<out>/ab_results.json`,
which `fer-train` puts in the model card. Finished arms are kept: run it again to continue.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training import atomic
from training.cli import main as fer_train
from training.options import REPO

# (name, fer-train options, training images per epoch, arm it is compared with[, hyperparameters
# that differ from HPARAMS]). Each arm
# changes one thing of the arm it is compared with; 5-6 are the seed's baselines, ResNet-18 and
# VGG-16 shapes at about cnn7's multiply-adds (78 M and 99 M at widths 16 and 24 against 96 M at
# 32), on arm 3's recipe.
FOUR_VOTES = ["--train-classes", "same", "--vote-weight", "0.5"]
ARMS = [
    ("four classes, original labels (previous recipe)",
     ["--train-classes", "same", "--vote-weight", "0"], 18163, None),
    ("+ the other three FER classes (collapsed to four at export)",
     ["--train-classes", "all", "--vote-weight", "0"], 25838, 1),
    ("+ FER+ votes, 50/50 with the original label (four classes)", FOUR_VOTES, 18163, 1),
    ("+ the other three FER classes, with votes", ["--train-classes", "all", "--vote-weight",
                                                    "0.5"], 25838, 3),
    ("arch resnet (ResNet-18 shape, width 16)", [*FOUR_VOTES, "--arch", "resnet", "--width",
                                                 "16"], 18163, 3),
    ("arch vgg16 (VGG-16 shape, width 24)", [*FOUR_VOTES, "--arch", "vgg16", "--width", "24"],
     18163, 3),
    ("+ distilled from a teacher (--teacher, weight 0.5)", [*FOUR_VOTES, "--teacher", "{teacher}"],
     18163, 3),
    ("+ other-class images whose raters' majority is one of the four (--other-classes majority)",
     [*FOUR_VOTES, "--other-classes", "majority"], 18163 + 3384, 3),  # 3,384: its train.log
    ("+ a moving average of the weights (ema 0.998)", FOUR_VOTES, 18163, 3, {"ema": 0.998}),
    ("SGD, Nesterov momentum 0.9, lr 0.05, weight decay 1e-4 (instead of AdamW)", FOUR_VOTES,
     18163, 3, {"optimizer": "sgd", "learning_rate": 0.05, "weight_decay": 1e-4}),
    ("+ turned faces (nose ≥ 0.15 eye distances off centre) take the raters' votes alone "
     "(--turned-votes 0.15)", [*FOUR_VOTES, "--turned-votes", "0.15"], 18163, 3),
]
NOISE_PT = 1.5  # one seed's spread on this validation split: smaller changes are not adopted
HPARAMS = {"learning_rate": 1.77e-3, "dropout": 0.226, "weight_decay": 1.23e-4,
           "batch_size": 128, "label_smoothing": 0.14, "mixup": 0.106}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.ab", description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=8, help="epochs of a seven-class arm")
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--arms", default="all",
                   help="comma-separated arm numbers (1-based) to run; finished arms stay in the "
                        "table")
    p.add_argument("--workdir", type=Path, default=REPO / "runs" / "ab")
    p.add_argument("--out", type=Path, default=REPO / "models")
    p.add_argument("--teacher", type=Path, default=REPO / "runs" / "long" / "out" / "fer_cnn.onnx",
                   help="the teacher of the distillation arm (an ensemble trained on the same "
                        "validation split)")
    args = p.parse_args(argv)
    pick = (range(1, len(ARMS) + 1) if args.arms == "all"
            else [int(a) for a in args.arms.split(",")])
    args.workdir.mkdir(parents=True, exist_ok=True)
    hp_file = args.workdir / "hparams.json"
    atomic.write_json(hp_file, HPARAMS)
    most = max(arm[2] for arm in ARMS)
    rows = []
    for i in range(1, len(ARMS) + 1):  # the table keeps every finished arm, picked or not
        name, opts, n_images, _, *changed = ARMS[i - 1]
        arm = args.workdir / f"arm{i}"
        arm_hp = hp_file
        if changed:
            arm_hp = arm / "hparams.json"
            arm.mkdir(parents=True, exist_ok=True)
            atomic.write_json(arm_hp, {**HPARAMS, **changed[0]})
        epochs = round(args.epochs * most / n_images)
        metrics_file = arm / "out" / "metrics.json"
        if i not in pick and not metrics_file.exists():
            continue
        if not metrics_file.exists():
            rc = fer_train(["--max-evals", "0", "--hparams", str(arm_hp),
                            "--width", str(args.width),
                            *(o.replace("{teacher}", str(args.teacher)) for o in opts),
                            "--epochs", str(epochs),
                            "--patience", "0", "--out", str(arm / "out"),
                            "--workdir", str(arm / "work"), "--resume"])
            if rc != 0:
                return rc
        m = json.loads(metrics_file.read_text())
        rows.append({
            "arm": i, "change": name, "epochs": epochs,
            "val_accuracy": m["final"]["best_val_accuracy"],
            "val_consensus": m["final"]["best_val_consensus"],
            "val_flip_score": m["validation"]["score_flip"],
            "val_plain_score": m["validation"]["score_plain"],
            "minutes": m["final"]["seconds"] / 60,
            "cpu_minutes": cpu / 60 if (cpu := m["final"].get("cpu_seconds")) else None,
            "verdict": "",
        })
    by_arm = {r["arm"]: r for r in rows}
    for row in rows:
        score = (row["val_accuracy"] + row["val_consensus"]) / 2
        ref = by_arm.get(ARMS[row["arm"] - 1][3])
        if ref is None:
            row["verdict"] = "baseline"
            continue
        gain = 100 * (score - (ref["val_accuracy"] + ref["val_consensus"]) / 2)
        noise = ", within one seed's noise" if abs(gain) < NOISE_PT else ""
        row["verdict"] = (f"{'kept' if gain >= NOISE_PT else 'dropped'} ({gain:+.1f} pt mean of "
                          f"both truths vs arm {ref['arm']}{noise})")
    setup = (f"Width {args.width}, no search, the same hyperparameters "
             f"({', '.join(f'{k} {v}' for k, v in HPARAMS.items())}), {args.epochs} epochs of "
             "the seven-class set (scaled up so every arm sees the same number of images), one "
             "seed; validation split (10 % of Training, all seven classes kept so every arm is "
             "judged on the same images). Cost is training time on 2 cores that were shared "
             "with other work, so only roughly comparable; the CPU minutes (all threads, kept "
             "since session 7) are not distorted by sharing. A difference under about 1.5 points "
             "is within one seed's noise. `python -m training.ab`.")
    atomic.write_json(args.out / "ab_results.json", {"setup": setup, "rows": rows})
    for r in rows:
        print(f"{r['arm']}. {r['change']}: original {r['val_accuracy']:.4f}, consensus "
              f"{r['val_consensus']:.4f}, {r['minutes']:.1f} min"
              + (f" (CPU {r['cpu_minutes']:.1f} min)" if r["cpu_minutes"] else "")
              + f", {r['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
