"""`fer-train`'s command line: its options and the checks that make a bad one a one-line
error before any data is read."""

from __future__ import annotations

import argparse
from pathlib import Path

from training.data import DataError

REPO = Path(__file__).resolve().parents[1]
SHARED_CSV = REPO.parent / "shared" / "data" / "fer2013" / "fer2013.csv.gz"
SHARED_VOTES = REPO.parent / "shared" / "data" / "ferplus" / "fer2013_ferplus_votes.csv.gz"

DESCRIPTION = ("`fer-train`: FER-2013 CSV (+ FER+ votes) -> hyperopt search -> final fit(s) -> "
               "calibration")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fer-train", description=DESCRIPTION)
    p.add_argument("csv", nargs="?", type=Path,
                   help=f"FER-2013 CSV (plain or .gz); default {SHARED_CSV} when it exists")
    p.add_argument("--classes", default="happy,sad,surprise,neutral",
                   help="comma-separated FER class names, or 'all' (default: %(default)s)")
    p.add_argument("--train-classes", choices=["all", "same"], default="same",
                   help="same: the net learns --classes; all: it learns every FER class and "
                        "the export keeps --classes (2.5 points worse at a short budget, "
                        "models/ab_results.json)")
    p.add_argument("--votes", default=None,
                   help=f"FER+ votes CSV aligned with the data rows, or 'none' (default: "
                        f"{SHARED_VOTES} with the shared FER-2013 CSV)")
    p.add_argument("--vote-weight", type=float, default=0.5,
                   help="share of the FER+ vote distribution in each target (0: original "
                        "labels only, 1: votes only; images without votes keep their label)")
    p.add_argument("--other-classes", choices=["drop", "majority"], default="drop",
                   help="Training images whose original label is not a training class: drop "
                        "them, or keep those whose FER+ raters' majority is one, with that label")
    p.add_argument("--turned-votes", type=float, default=0.0, metavar="T",
                   help="faces turned at least T (nose tip off the eye midpoint, in eye "
                        "distances, from the app's BlazeFace; 0.3 is about 30 degrees) take the "
                        "raters' votes alone as their target: the original annotator called "
                        "turned faces sad far more often than the raters (training/pose.py). "
                        "0: off")
    p.add_argument("--teacher", type=Path, metavar="MODEL.onnx",
                   help="distil: mix this model's probabilities (e.g. an ensemble exported by "
                        "fer-train with the same --seed and --val-fraction) into every target")
    p.add_argument("--teacher-weight", type=float, default=0.5,
                   help="share of the teacher's probabilities in each target (with --teacher)")
    p.add_argument("--arch", choices=["cnn7", "resnet", "vgg16"], default="cnn7",
                   help="cnn7: the shipped design; resnet/vgg16: ResNet-18 / VGG-16 shapes")
    p.add_argument("--hparams", type=Path,
                   help="JSON of hyperparameters for the final fit (e.g. a search's "
                        "best_params.json) instead of a search or the defaults")
    p.add_argument("--ensemble", type=int, default=1,
                   help="members (seeds seed, seed+1, ...) averaged inside the exported graph")
    p.add_argument("--join", type=Path, nargs="+", metavar="DIR",
                   help="also average these finished final fits of other runs (e.g. "
                        "runs/w48/final: another width, length or recipe, same split and "
                        "classes) inside the exported graph, without training them again")
    p.add_argument("--calibrate", choices=["on", "off"], default="on",
                   help="fit a temperature on the validation split and apply it in the graph")
    p.add_argument("--balance", choices=["recall", "off"], default="recall",
                   help="class offsets fitted on validation so the worst class recall over "
                        "both truths is as high as it can be (training.balance)")
    p.add_argument("--int8", choices=["on", "off"], default="on",
                   help="also write the int8 model for the app (training.quantize), measured "
                        "against the float one on PublicTest")
    p.add_argument("--out", type=Path, default=REPO / "models",
                   help="where the ONNX model, card, metrics and confusion matrix go")
    p.add_argument("--workdir", type=Path, default=REPO / "runs" / "fer-train",
                   help="trials, checkpoints and the log")
    p.add_argument("--max-evals", type=int, default=8, help="hyperopt trials (0: no search)")
    p.add_argument("--search-epochs", type=int, default=8, help="epochs per search trial")
    p.add_argument("--search-fraction", type=float, default=0.5,
                   help="share of the train split each trial trains on")
    p.add_argument("--epochs", type=int, default=60, help="epochs of the final fit")
    p.add_argument("--patience", type=int, default=15, help="early-stopping patience (epochs)")
    p.add_argument("--width", type=int, default=32,
                   help="channels of the first conv block (inference cost grows with its square)")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                   help="auto: bf16 mixed precision where the CPU has bf16 instructions")
    p.add_argument("--flip-tta", choices=["off", "auto", "on"], default="off",
                   help="average each face with its mirror image inside the exported graph; it "
                        "doubles the app's inference cost, so off by default (auto: on if it "
                        "helps on the validation split)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="search as a Ray Tune experiment and fit on a Ray worker (host:port "
                        "of a cluster's head; default: this machine's); needs [cluster]")
    return p


def check_args(args: argparse.Namespace) -> None:
    if not 0 < args.val_fraction < 0.5:
        raise DataError("--val-fraction must be between 0 and 0.5")
    if not 0 < args.search_fraction <= 1:
        raise DataError("--search-fraction must be in (0, 1]")
    if args.epochs < 1 or args.search_epochs < 1 or args.max_evals < 0 or args.width < 4:
        raise DataError("--epochs and --search-epochs must be ≥ 1, --max-evals ≥ 0, --width ≥ 4")
    if not 0 <= args.vote_weight <= 1:
        raise DataError("--vote-weight must be between 0 and 1")
    if not 0 <= args.teacher_weight <= 1:
        raise DataError("--teacher-weight must be between 0 and 1")
    if args.turned_votes < 0:
        raise DataError("--turned-votes must be ≥ 0 (0: off)")
    if not 1 <= args.ensemble <= 8:
        raise DataError("--ensemble must be between 1 and 8")
