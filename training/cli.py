"""`fer-train`: FER-2013 CSV -> hyperopt search -> final fit -> PublicTest report -> ONNX + card.

Work files (trials, checkpoints, log) go to --workdir; the shipped artefacts to --out.
Every stage is resumable with --resume: finished trials, the final fit's last epoch and a
finished fit are all picked up again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

from training.data import DataError, Dataset, load_fer_csv, parse_classes, stratified_split

REPO = Path(__file__).resolve().parents[1]
SHARED_CSV = REPO.parent / "shared" / "data" / "fer2013" / "fer2013.csv.gz"
MODEL_FILE = "fer_cnn.onnx"
log = logging.getLogger("fer-train")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fer-train", description=__doc__.split("\n")[0])
    p.add_argument("csv", nargs="?", type=Path,
                   help=f"FER-2013 CSV (plain or .gz); default {SHARED_CSV} when it exists")
    p.add_argument("--classes", default="happy,sad,surprise,neutral",
                   help="comma-separated FER class names, or 'all' (default: %(default)s)")
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
    return p


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def setup_logging(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
    log.setLevel(logging.INFO)
    log.handlers.clear()
    for h in (logging.StreamHandler(sys.stdout), logging.FileHandler(workdir / "train.log")):
        h.setFormatter(fmt)
        log.addHandler(h)


def resolve_csv(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    if SHARED_CSV.exists():
        return SHARED_CSV
    raise DataError(f"no dataset given and the default {SHARED_CSV} does not exist")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DataError as exc:
        print(f"fer-train: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fer-train: interrupted; continue with --resume", file=sys.stderr)
        return 130


def _check_args(args: argparse.Namespace) -> None:
    if not 0 < args.val_fraction < 0.5:
        raise DataError("--val-fraction must be between 0 and 0.5")
    if not 0 < args.search_fraction <= 1:
        raise DataError("--search-fraction must be in (0, 1]")
    if args.epochs < 1 or args.search_epochs < 1 or args.max_evals < 0 or args.width < 4:
        raise DataError("--epochs and --search-epochs must be ≥ 1, --max-evals ≥ 0, --width ≥ 4")


def run(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    _check_args(args)
    classes = parse_classes(args.classes)
    csv_path = resolve_csv(args.csv)
    setup_logging(args.workdir)
    timing_file = args.workdir / "timing.json"
    timing = json.loads(timing_file.read_text()) if args.resume and timing_file.exists() else {}
    prior = float(timing.get("elapsed_s", 0.0))

    log.info("reading %s (classes %s)", csv_path, ",".join(classes))
    splits = load_fer_csv(csv_path, classes)
    if "PublicTest" not in splits:
        raise DataError(f"{csv_path}: no PublicTest rows to evaluate on")
    full: Dataset = splits["Training"]
    test: Dataset = splits["PublicTest"]
    tr_idx, va_idx = stratified_split(full.labels, args.val_fraction, args.seed)
    train, val = full.subset(tr_idx), full.subset(va_idx)
    log.info("train %d  val %d  test %d  per class %s", len(train), len(val), len(test),
             train.counts())

    # TensorFlow is imported only now: parsing errors above stay fast and quiet.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from training import evaluate, export
    from training.fit import evaluate_accuracy, fit, predict
    from training.model import HParams
    from training.search import run_search, search_summary

    bf16 = args.precision == "bf16" or (args.precision == "auto" and cpu_has_bf16())
    keras.config.set_dtype_policy("mixed_bfloat16" if bf16 else "float32")
    log.info("precision: %s", "bf16 mixed" if bf16 else "fp32")

    search_info: dict = {"max_evals": args.max_evals, "epochs": args.search_epochs,
                         "fraction": args.search_fraction, "trials": []}
    t_search = time.perf_counter()
    if args.max_evals > 0:
        hp, trials = run_search(train, val, args.workdir / "search", args.max_evals,
                                args.search_epochs, args.search_fraction, args.seed,
                                args.width, args.resume)
        search_info["trials"] = search_summary(trials)
    else:
        hp = HParams(width=args.width)
    search_s = time.perf_counter() - t_search + float(timing.get("search_s", 0.0))
    # A search cut off before timing.json was written still counts: trials record their time.
    search_s = max(search_s, sum(t.get("seconds", 0.0) for t in search_info["trials"]))
    prior = max(prior, search_s - (time.perf_counter() - t_search))
    _save_timing(timing_file, prior + time.perf_counter() - t_start, search_s)

    final_dir = args.workdir / "final"
    if not args.resume and final_dir.exists():
        import shutil

        shutil.rmtree(final_dir)
    log.info("final fit: %d epochs with %s", args.epochs, json.dumps(hp.to_dict()))
    res = fit(hp, train, val, args.epochs, args.seed, workdir=final_dir, prefix="final ",
              patience=args.patience)
    _save_timing(timing_file, prior + time.perf_counter() - t_start, search_s)

    acc_plain = evaluate_accuracy(res.model, val)
    acc_flip = evaluate_accuracy(res.model, val, flip=True)
    use_flip = args.flip_tta == "on" or (args.flip_tta == "auto" and acc_flip > acc_plain)
    log.info("validation accuracy %.4f plain, %.4f with flip -> flip %s",
             acc_plain, acc_flip, "on" if use_flip else "off")
    test_probs = predict(res.model, test, flip=use_flip)
    rep = evaluate.report(test.labels, test_probs, classes)
    log.info("PublicTest accuracy %.4f\n%s", rep["accuracy"], rep["text"])

    args.out.mkdir(parents=True, exist_ok=True)
    infer = export.inference_model(res.model, hp, len(classes), use_flip)
    check = val.images[:512]
    date = dt.date.today().isoformat()
    diff = export.export_onnx(
        infer, args.out / MODEL_FILE, classes, check,
        metadata={"version": f"fer_cnn-{date}", "test_accuracy": f"{rep['accuracy']:.4f}",
                  "flip_tta": str(use_flip).lower()},
    )
    log.info("exported %s (parity max |diff| %.2e on %d images)", args.out / MODEL_FILE, diff,
             len(check))
    evaluate.plot_confusion(
        rep["confusion_matrix"], classes, args.out / "confusion_matrix.png",
        f"PublicTest, n={rep['n']}, accuracy {rep['accuracy']:.1%}",
    )
    wall = prior + time.perf_counter() - t_start
    metrics = {
        "model_file": MODEL_FILE, "date": date, "classes": list(classes), "seed": args.seed,
        "precision": "mixed_bfloat16" if bf16 else "float32", "hparams": hp.to_dict(),
        "params": int(res.model.count_params()),
        "flip_tta": use_flip, "flip_tta_mode": args.flip_tta,
        "data": {"csv": csv_path.name, "train": len(train), "val": len(val), "test": len(test),
                 "val_fraction": args.val_fraction, "counts": train.counts()},
        "search": search_info,
        "final": {"epochs_run": res.epochs_run, "best_val_accuracy": res.best_val_accuracy,
                  "images_per_s": res.images_per_s, "seconds": res.seconds},
        "validation": {"accuracy_plain": acc_plain, "accuracy_flip": acc_flip},
        "test": {k: v for k, v in rep.items() if k != "text"},
        "export": {"parity_max_abs_diff": diff, "parity_images": len(check)},
        "wall_time_s": wall, "search_time_s": search_s,
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, {platform.system()}",
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    from training.card import write_card

    write_card(args.out / "MODEL_CARD.md", metrics)
    log.info("done in %.1f min: accuracy %.4f, artefacts in %s", wall / 60, rep["accuracy"],
             args.out)
    return 0


def _save_timing(path: Path, elapsed: float, search_s: float) -> None:
    path.write_text(json.dumps({"elapsed_s": elapsed, "search_s": search_s}))


if __name__ == "__main__":
    sys.exit(main())
