"""`fer-train`: FER-2013 CSV (+ FER+ votes) -> hyperopt search -> final fit(s) -> calibration
-> PublicTest report against both truths -> ONNX + card.

Work files (trials, checkpoints, log) go to --workdir; the shipped artefacts to --out.
Every stage is resumable with --resume: finished trials, the final fit's last epoch and a
finished fit are all picked up again.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from app.core.analysis.uncertainty import from_table
from training import atomic
from training.data import (
    FER_CLASSES,
    DataError,
    Dataset,
    load_fer_csv,
    parse_classes,
    select_classes,
    stratified_split,
)
from training.join import joined_members, member_hparams, write_member
from training.options import SHARED_CSV, SHARED_VOTES, build_parser, check_args
from training.targets import Task

MODEL_FILE = "fer_cnn.onnx"
log = logging.getLogger("fer-train")


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
    from app.core.cluster import ray_argv  # `--ray [ADDRESS] data.csv`: the CSV is no address

    args = build_parser().parse_args(ray_argv(sys.argv[1:] if argv is None else argv))
    try:
        return run(args)
    except DataError as exc:
        print(f"fer-train: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fer-train: interrupted; continue with --resume", file=sys.stderr)
        return 130


def resolve_votes(arg: str | None, csv_path: Path) -> Path | None:
    """The votes are aligned with the rows of the shared FER-2013 CSV: by default they are used
    with that file only."""
    if arg is None:
        same = csv_path.resolve() == SHARED_CSV.resolve()
        return SHARED_VOTES if same and SHARED_VOTES.exists() else None
    return None if arg.lower() == "none" else Path(arg)


def load_hparams(path: Path, width: int, arch: str):
    from training.model import HParams

    data = atomic.read_json(path) if path.exists() else None
    if not isinstance(data, dict):
        raise DataError(f"--hparams: {path} is missing or not a JSON object")
    known = set(HParams.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise DataError(f"--hparams: unknown key(s) {', '.join(sorted(unknown))} in {path}")
    try:
        return HParams(**{**data, "width": width, "arch": arch})
    except (TypeError, ValueError) as exc:
        raise DataError(f"--hparams: {exc}") from None


def run(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    check_args(args)
    classes = parse_classes(args.classes)
    csv_path = resolve_csv(args.csv)
    votes_path = resolve_votes(args.votes, csv_path)
    setup_logging(args.workdir)
    timing_file = args.workdir / "timing.json"
    timing = (atomic.read_json(timing_file) if args.resume else None) or {}
    prior = float(timing.get("elapsed_s", 0.0))

    # Validation and test keep every FER class the data has, so that recipes learning four or
    # seven classes are judged on the same images; the net learns `train_classes`.
    splits = load_fer_csv(csv_path, FER_CLASSES, extra_ok=True)
    present = splits["Training"].classes
    missing = [c for c in classes if c not in present]
    if missing:
        raise DataError(f"{csv_path}: class(es) {', '.join(missing)} have no Training rows")
    train_classes = tuple(c for c in present if c in classes or args.train_classes == "all")
    log.info("read %s (net learns %s; output %s)", csv_path, ",".join(train_classes),
             ",".join(classes))
    if "PublicTest" not in splits:
        raise DataError(f"{csv_path}: no PublicTest rows to evaluate on")
    full: Dataset = splits["Training"]
    test: Dataset = splits["PublicTest"]
    vote_weight = args.vote_weight
    if votes_path is not None:
        from training.votes import attach_votes, load_votes

        table = load_votes(votes_path)
        full, test = attach_votes(full, table), attach_votes(test, table)
        log.info("FER+ votes from %s (%.1f %% of Training rows matched), vote weight %.2f",
                 votes_path, 100 * (~np.isnan(full.votes[:, 0])).mean(), vote_weight)
    else:
        vote_weight = 0.0
        log.info("no FER+ votes: original labels only, no consensus truth")
    teacher_weight, teacher_info = 0.0, {"teacher": None}
    if args.teacher is not None:
        from training.distill import teacher_probs
        from training.quantize import file_sha256

        full = dataclasses.replace(full, teacher=teacher_probs(args.teacher, full, train_classes))
        teacher_weight = args.teacher_weight
        teacher_info = {"teacher": args.teacher.name, "teacher_sha256": file_sha256(args.teacher),
                        "teacher_weight": teacher_weight}
        log.info("teacher %s (weight %.2f): it agrees with the original label on %.1f %% of "
                 "Training", args.teacher, teacher_weight,
                 100 * np.mean(full.teacher.argmax(1) == _label_in(full, train_classes)))
    turned_info = None
    if args.turned_votes > 0:
        if votes_path is None:
            raise DataError("--turned-votes needs the FER+ votes (--votes)")
        from training.pose import nose_offsets

        full = dataclasses.replace(full, turned=nose_offsets(full.images))
        relabel = full.turned >= args.turned_votes
        turned_info = {"threshold": args.turned_votes, "turned": int(relabel.sum()),
                       "measured": int((~np.isnan(full.turned)).sum())}
        log.info("%d of %d Training faces (%d measured) are turned ≥ %.2f: the raters' votes "
                 "alone are their target", turned_info["turned"], len(full),
                 turned_info["measured"], args.turned_votes)
    task = Task(train_classes, classes, vote_weight, teacher_weight, args.turned_votes)
    tr_idx, va_idx = stratified_split(full.labels, args.val_fraction, args.seed)
    train, adopted = full.subset(tr_idx), 0
    if args.other_classes == "majority":
        if votes_path is None:
            raise DataError("--other-classes majority needs the FER+ votes (--votes)")
        from training.votes import adopt_majority

        train, adopted = adopt_majority(train, train_classes)
        log.info("%d Training images of other classes kept with their raters' majority label",
                 adopted)
    train = select_classes(train, train_classes)
    joined = joined_members(args, train_classes)  # checked before any training
    val = full.subset(va_idx)
    log.info("train %d  val %d  test %d  per class %s", len(train), len(val), len(test),
             train.counts())

    # TensorFlow is imported only now: parsing errors above stay fast and quiet.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from training import calibrate, evaluate, export
    from training.fit import fit
    from training.model import HParams, logits_of
    from training.posthoc import fit_posthoc
    from training.search import run_search, search_summary

    bf16 = args.precision == "bf16" or (args.precision == "auto" and cpu_has_bf16())
    keras.config.set_dtype_policy("mixed_bfloat16" if bf16 else "float32")
    log.info("precision: %s", "bf16 mixed" if bf16 else "fp32")

    search_info: dict = {"max_evals": args.max_evals, "epochs": args.search_epochs,
                         "fraction": args.search_fraction, "trials": []}
    t_search = time.perf_counter()
    if args.hparams is not None:
        hp = load_hparams(args.hparams, args.width, args.arch)
        search_info["max_evals"] = 0
    elif args.max_evals > 0 and args.ray is not None:
        from training.ray_search import run_search_ray

        hp, search_info["trials"] = run_search_ray(train, val, task, args)
    elif args.max_evals > 0:
        hp, trials = run_search(train, val, task, args.workdir / "search", args.max_evals,
                                args.search_epochs, args.search_fraction, args.seed,
                                args.width, args.resume, args.arch)
        search_info["trials"] = search_summary(trials)
    else:
        hp = HParams(width=args.width, arch=args.arch)
    search_s = time.perf_counter() - t_search + float(timing.get("search_s", 0.0))
    # A search cut off before timing.json was written still counts: trials record their time.
    search_s = max(search_s, sum(t.get("seconds", 0.0) for t in search_info["trials"]))
    prior = max(prior, search_s - (time.perf_counter() - t_search))
    _save_timing(timing_file, prior + time.perf_counter() - t_start, search_s)

    final_fit = fit
    if args.ray is not None:  # each final fit on a Ray worker, then reloaded here
        from training.ray_search import fit_on_a_worker

        final_fit = fit_on_a_worker(args.ray)
    members, member_hps = [], []
    for m in range(args.ensemble):
        final_dir = args.workdir / ("final" if m == 0 else f"final{m + 1}")
        if not args.resume and final_dir.exists():
            import shutil

            shutil.rmtree(final_dir)
        log.info("final fit %d/%d: %d epochs with %s", m + 1, args.ensemble, args.epochs,
                 json.dumps(hp.to_dict()))
        res = final_fit(hp, train, val, args.epochs, args.seed + m, task, workdir=final_dir,
                  prefix="final " if m == 0 else f"final{m + 1} ", patience=args.patience)
        log.info("member %d: val original %.4f, consensus %.4f", m + 1, res.best_val_accuracy,
                 res.best_val_consensus)
        members.append(res)
        member_hps.append(hp)
        write_member(final_dir, hp.to_dict(), args.seed + m, args, train_classes)
        _save_timing(timing_file, prior + time.perf_counter() - t_start, search_s)
    for rec in joined:  # finished fits: fit() reloads their best weights here, even with --ray
        member_hps.append(member_hparams(rec))
        members.append(fit(member_hps[-1], train, val, 1, rec["seed"], task, workdir=rec["dir"]))
        log.info("joined member %s (%s): val original %.4f, consensus %.4f", rec["dir"],
                 json.dumps(rec["hparams"]), members[-1].best_val_accuracy,
                 members[-1].best_val_consensus)

    def view_logits(ds: Dataset, flip: bool) -> np.ndarray:
        """[V, N, K_train]: each member's logits for the image (and its mirror image)."""
        x = ds.images.astype(np.float32)
        xs = [x, x[:, :, ::-1, :]] if flip else [x]
        return np.stack([logits_of(r.model).predict(v, batch_size=512, verbose=0)
                         for r in members for v in xs]).astype(np.float64)

    out_idx = task.out_idx
    val_truths, test_truths = task.truths(val), task.truths(test)
    val_z = {f: view_logits(val, f)[..., out_idx] for f in (False, True)}

    post = fit_posthoc(val_z, val_truths, args.flip_tta, args.calibrate == "on", args.balance,
                       args.seed)
    use_flip, temperature, bias, top = post.flip, post.temperature, post.bias, post.top
    # The app's uncertainty threshold comes from the validation split, not from the test set.
    val_rel = calibrate.reliability(val_truths["original"], post.probs(val_z[use_flip]))
    test_z = view_logits(test, use_flip)[..., out_idx]
    test_probs = post.probs(test_z)
    raw_probs = calibrate.calibrated_probs(test_z, 1.0)
    reports = {k: evaluate.report(test_truths[k], test_probs, classes)
               for k in ("original", "consensus") if (test_truths[k] >= 0).any()}
    rel = {k: calibrate.reliability(test_truths[k], test_probs) for k in reports}
    rel_raw = {k: calibrate.reliability(test_truths[k], raw_probs) for k in reports}
    rep = reports["original"]
    for k, r in reports.items():
        log.info("PublicTest against the %s labels (n=%d): accuracy %.4f, ECE %.4f (%.4f "
                 "before calibration)\n%s", k, r["n"], r["accuracy"], rel[k]["ece"],
                 rel_raw[k]["ece"], r["text"])

    args.out.mkdir(parents=True, exist_ok=True)
    infer = export.inference_model(list(zip([r.model for r in members], member_hps,
                                             strict=True)), task, use_flip,
                                   temperature, top["knots"],
                                   None if bias is None else bias.tolist())
    check = val.images[:512]
    date = dt.date.today().isoformat()
    diff = export.export_onnx(
        infer, args.out / MODEL_FILE, classes, check,
        metadata={"version": f"fer_{hp.arch}-{date}", "test_accuracy": f"{rep['accuracy']:.4f}",
                  "flip_tta": str(use_flip).lower(), "temperature": f"{temperature:.4f}",
                  "ensemble": str(len(members))},
    )
    log.info("exported %s (parity max |diff| %.2e on %d images)", args.out / MODEL_FILE, diff,
             len(check))
    int8_info = None
    if args.int8 == "on":
        from app.core.analysis.classifier import int8_rejection
        from training.quantize import (
            CALIB_IMAGES,
            SHARED_MEDIA,
            QuantizeError,
            camera_sets,
            quantize_int8,
        )

        keep = test_truths["original"] >= 0
        # calibrated and judged on faces as the live chain gives them (training/shifted.py)
        calib, gate = camera_sets(train.images, val.images,
                                  SHARED_MEDIA if SHARED_MEDIA.is_dir() else None, CALIB_IMAGES)
        try:
            q = quantize_int8(args.out / MODEL_FILE, calib, calib_count=len(calib), shifted=gate,
                              test=(test.images[keep], test_truths["original"][keep]))
        except QuantizeError as exc:
            raise DataError(f"int8 model: {exc}") from None
        import onnxruntime as ort

        qm = ort.InferenceSession(str(q), providers=["CPUExecutionProvider"]).get_modelmeta()
        qmeta = qm.custom_metadata_map
        rejection = int8_rejection(qmeta, args.out / MODEL_FILE)
        int8_info = {"file": q.name, "float_accuracy": float(qmeta["float_test_accuracy"]),
                     "int8_accuracy": float(qmeta["test_accuracy"]),
                     "agreement": float(qmeta["test_agreement"]),
                     "shift_agreement": float(qmeta["shift_agreement"]),
                     "shift_images": int(qmeta["shift_images"]), "runtime": qmeta["runtime"],
                     "default": rejection is None, "why_not": rejection or ""}
        log.info("int8 model %s: PublicTest %.4f (float %.4f), same class in %.2f %% of images, "
                 "%.2f %% of camera-like faces; %s", q, int8_info["int8_accuracy"],
                 int8_info["float_accuracy"], 100 * int8_info["agreement"],
                 100 * int8_info["shift_agreement"],
                 "the app's default" if rejection is None else f"not the default: {rejection}")
    titles = {"original": "original FER-2013 labels", "consensus": "FER+ raters' majority"}
    for k, r in reports.items():
        name = "confusion_matrix.png" if k == "original" else f"confusion_matrix_{k}.png"
        evaluate.plot_confusion(r["confusion_matrix"], classes, args.out / name,
                                f"PublicTest vs {titles[k]}, n={r['n']}, "
                                f"accuracy {r['accuracy']:.1%}")
    calibrate.plot_reliability(
        {titles[k]: rel[k] for k in rel}, args.out / "reliability_diagram.png",
        f"PublicTest reliability, temperature {temperature:.2f}"
        + (", top-probability map" if top["knots"] else ""))
    wall = prior + time.perf_counter() - t_start
    first = members[0]
    metrics = {
        "model_file": MODEL_FILE, "date": date, "classes": list(classes),
        "train_classes": list(train_classes), "seed": args.seed,
        "precision": "mixed_bfloat16" if bf16 else "float32", "hparams": hp.to_dict(),
        "params": int(first.model.count_params()), "ensemble": len(members),
        "params_total": int(sum(r.model.count_params() for r in members)),
        "joined": [{**rec, "dir": str(rec["dir"])} for rec in joined],
        "flip_tta": use_flip, "flip_tta_mode": args.flip_tta,
        "targets": {"votes": votes_path.name if votes_path else None,
                    "vote_weight": vote_weight, "other_classes": args.other_classes,
                    "adopted": adopted, "turned_votes": turned_info, **teacher_info},
        "data": {"csv": csv_path.name, "train": len(train), "val": len(val), "test": len(test),
                 "val_fraction": args.val_fraction, "counts": train.counts()},
        "search": search_info,
        "final": {"epochs_run": first.epochs_run, "best_val_accuracy": first.best_val_accuracy,
                  "best_val_consensus": first.best_val_consensus,
                  "images_per_s": first.images_per_s,
                  "seconds": sum(r.seconds for r in members),
                  "cpu_seconds": _known(sum(r.cpu_seconds for r in members)),
                  "members": [{"val_accuracy": r.best_val_accuracy,
                               "val_consensus": r.best_val_consensus,
                               "epochs_run": r.epochs_run} for r in members]},
        "validation": {"score_plain": post.score_plain, "score_flip": post.score_flip},
        "calibration": {"temperature": temperature, "bins": calibrate.ECE_BINS, "top_map": top,
                        "class_bias": None if bias is None else dict(zip(classes, bias.tolist(),
                                                                         strict=True)),
                        **{f"ece_{k}": rel[k]["ece"] for k in rel},
                        **{f"ece_{k}_uncalibrated": rel_raw[k]["ece"] for k in rel},
                        "reliability": {k: rel[k]["bins"] for k in rel},
                        "uncertain_below": from_table(val_rel["bins"]),
                        "uncertain_below_from": f"validation split ({val_rel['n']} faces, "
                                                f"original labels)",
                        "reliability_validation": val_rel["bins"]},
        "test": {k: v for k, v in rep.items() if k != "text"},
        "test_consensus": ({k: v for k, v in reports["consensus"].items() if k != "text"}
                           if "consensus" in reports else None),
        "export": {"parity_max_abs_diff": diff, "parity_images": len(check)},
        "int8": int8_info,
        "wall_time_s": wall, "search_time_s": search_s,
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, {platform.system()}",
    }
    atomic.write_json(args.out / "metrics.json", metrics)
    from training.card import write_card

    write_card(args.out / "MODEL_CARD.md", metrics)
    log.info("done in %.1f min: accuracy %.4f original / %s consensus, artefacts in %s",
             wall / 60, rep["accuracy"],
             f"{reports['consensus']['accuracy']:.4f}" if "consensus" in reports else "-",
             args.out)
    return 0


def _known(x: float) -> float | None:
    """A figure for metrics.json: strict JSON has no NaN, so unknown is null."""
    return None if math.isnan(x) else x


def _label_in(ds: Dataset, classes: tuple[str, ...]) -> np.ndarray:
    """The original labels as indices into `classes` (-1 for other classes)."""
    return np.array([classes.index(c) if c in classes else -1 for c in ds.classes])[ds.labels]


def _save_timing(path: Path, elapsed: float, search_s: float) -> None:
    atomic.write_json(path, {"elapsed_s": elapsed, "search_s": search_s})


if __name__ == "__main__":
    sys.exit(main())
