"""Members of other finished fer-train runs averaged into this run's exported graph (`--join`).

A net of another width, length or target recipe that has already been trained joins the
ensemble without training again. Every final fit leaves `member.json` beside its weights: what
the net is (its hyperparameters) and which images it never trained on (the split's seed and
validation fraction). A joined member must share this run's split and classes, or this run's
validation images, on which the temperature and offsets are fitted, would be its training
images.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from training import atomic
from training.data import DataError

MEMBER_FILE = "member.json"


def write_member(final_dir: Path, hparams: dict, seed: int, args: argparse.Namespace,
                 train_classes: tuple[str, ...]) -> None:
    """Record what `--join` needs to reuse this final fit in another run's graph."""
    atomic.write_json(final_dir / MEMBER_FILE, {
        "hparams": hparams, "seed": seed, "split_seed": args.seed,
        "val_fraction": args.val_fraction, "train_classes": list(train_classes),
        "epochs": args.epochs, "vote_weight": args.vote_weight,
        "turned_votes": args.turned_votes,
        "teacher": None if args.teacher is None else args.teacher.name})


def joined_members(args: argparse.Namespace, train_classes: tuple[str, ...]) -> list[dict]:
    """The `--join` directories, checked: each a finished final fit of the same split and
    classes. Returns their member records, with `dir` added."""
    if not args.join:
        return []
    # training.fit imports TensorFlow: only when members are joined
    from training.fit import DONE_FILE, WEIGHTS_FILE

    own = {(args.workdir / "final").resolve(),
           *((args.workdir / f"final{m + 1}").resolve() for m in range(1, args.ensemble))}
    out = []
    for d in args.join:
        where = f"--join {d}"
        if not d.is_dir():
            raise DataError(f"{where}: no such directory (give a run's final fit, e.g. "
                            "runs/NAME/final)")
        if d.resolve() in own or d.resolve() in {m["dir"].resolve() for m in out}:
            raise DataError(f"{where}: this member is already in the ensemble")
        done = atomic.read_json(d / DONE_FILE)
        if not isinstance(done, dict) or not (d / WEIGHTS_FILE).is_file():
            raise DataError(f"{where}: not a finished fit (no {DONE_FILE} or "
                            f"{WEIGHTS_FILE}); finish it with its own --resume first")
        rec = atomic.read_json(d / MEMBER_FILE)
        if not isinstance(rec, dict) or not isinstance(rec.get("hparams"), dict):
            raise DataError(f"{where}: no readable {MEMBER_FILE} (what the net is and which "
                            "split it was trained on)")
        split = (rec.get("split_seed"), rec.get("val_fraction"))
        if split != (args.seed, args.val_fraction):
            raise DataError(f"{where}: trained on another split (seed {split[0]}, validation "
                            f"fraction {split[1]}); this run's validation images would be its "
                            "training images")
        if tuple(rec.get("train_classes") or ()) != tuple(train_classes):
            raise DataError(f"{where}: it learned {','.join(rec.get('train_classes') or [])}, "
                            f"this run learns {','.join(train_classes)}")
        out.append({**rec, "dir": d})
    return out


def member_hparams(rec: dict):
    """The joined member's hyperparameters as the model builder takes them."""
    from training.model import HParams

    try:
        return HParams(**rec["hparams"])
    except (TypeError, ValueError) as exc:
        raise DataError(f"--join {rec['dir']}: {MEMBER_FILE}: {exc}") from None
