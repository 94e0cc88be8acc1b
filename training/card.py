"""MODEL_CARD.md, written from the run's own results (metrics.json is the source of truth)."""

from __future__ import annotations

import json
from pathlib import Path


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


ARCH_TEXT = {
    "cnn7": "7 convolutional layers (3×3, batch norm, ReLU; widths {w}, {w}, {w2}, {w2}, {w4}, "
            "{w4}, {w8}; max-pooling 48→24→12→6, spatial dropout) → global average pooling",
    "resnet": "ResNet-18's shape for 48×48: a 3×3 stem, four stages of two basic residual blocks "
              "(widths {w}, {w2}, {w4}, {w8}; 48→24→12→6) → global average pooling",
    "vgg16": "VGG-16's 13 convolutions (2-2-3-3-3 at widths {w}, {w2}, {w4}, {w8}, {w8}, batch "
             "norm; five max-poolings 48→1)",
}


def _per_class_rows(rep: dict, classes: list[str]) -> str:
    return "\n".join(
        f"| {c} | {rep['per_class'][c]['precision']:.3f} | {rep['per_class'][c]['recall']:.3f} "
        f"| {rep['per_class'][c]['f1-score']:.3f} | {int(rep['per_class'][c]['support'])} |"
        for c in classes
    )


def _cm_rows(rep: dict, classes: list[str]) -> str:
    cm = rep["confusion_matrix"]
    return "\n".join(
        f"| **{c}** | " + " | ".join(str(v) for v in cm[i]) + " |" for i, c in enumerate(classes)
    )


def _teacher_text(targets: dict) -> str:
    if not targets.get("teacher"):
        return ""
    a = targets["teacher_weight"]
    return (f"; distilled: that target is mixed {1 - a:.2f} : {a:.2f} with the probabilities of "
            f"the teacher model `{targets['teacher']}` (SHA-256 {targets['teacher_sha256'][:12]}…)")


def _adopted_text(targets: dict) -> str:
    if not targets.get("adopted"):
        return ""
    return (f"; {targets['adopted']} Training images of other FER classes whose raters' majority is "
            "one of these classes are kept, labelled with that majority (`--other-classes "
            "majority`)")


def _turned_text(targets: dict) -> str:
    t = targets.get("turned_votes")
    if not t:
        return ""
    return (f"; the {t['turned']} Training faces turned at least {t['threshold']:.2f} eye "
            "distances (nose tip off the eye midpoint, BlazeFace) take the raters' votes alone "
            "(`--turned-votes`): the original annotator called turned faces sad far more often "
            "than the raters")


def _bias_text(cal: dict) -> str:
    bias = cal.get("class_bias")
    if not bias:
        return ""
    shown = ", ".join(f"{c} {b:+.2f}" for c, b in bias.items())
    return (f", with class offsets added to the logits ({shown}; fitted on validation so the "
            "worst class recall over both truths is as high as it can be: the two truths "
            "disagree mostly on sad against neutral, and the offsets settle that boundary)")


def _top_map_text(cal: dict) -> str:
    top = cal.get("top_map") or {}
    if "val_ece_without" not in top:
        return ""
    verdict = "kept" if top.get("knots") else "not kept"
    return (f", then a monotone map of the top probability ({verdict}: validation ECE "
            f"{top['val_ece_without']:.3f} without it, {top['val_ece_cross_fitted']:.3f} with it "
            "fitted on the other half)")


def _params_text(m: dict) -> str:
    total = m.get("params_total", m["params"] * m.get("ensemble", 1))
    if total == m["params"] * m.get("ensemble", 1):
        return f"{m['params']:,} parameters per member."
    return f"{m['params']:,} parameters in this run's net, {total:,} in all members."


def _joined_text(m: dict) -> str:
    """Members trained in other runs (`--join`): what each is and how it scored."""
    joined = m.get("joined") or []
    if not joined:
        return ""
    scores = m.get("final", {}).get("members", [])[-len(joined):]
    rows = []
    for rec, sc in zip(joined, scores, strict=False):
        hp = rec["hparams"]
        recipe = f"vote weight {rec.get('vote_weight', 0):.2f}" + (
            f", turned faces ≥ {rec['turned_votes']:.2f} on the votes alone"
            if rec.get("turned_votes") else "")
        rows.append(f"`{rec['dir']}` ({hp.get('arch', 'cnn7')}, width {hp['width']}, "
                    f"{rec.get('epochs', '?')} epochs, {recipe}; validation "
                    f"{_pct(sc['val_accuracy'])} / {_pct(sc['val_consensus'])})")
    return (f" Joined from other runs (`--join`, trained on the same split, averaged in the "
            f"graph without training again): {'; '.join(rows)}.")


def _truth_section(title: str, rep: dict, classes: list[str], png: str, ece: float | None) -> str:
    cal = f", expected calibration error {ece:.3f}" if ece is not None else ""
    return f"""### {title} ({rep['n']} images)
**Accuracy {_pct(rep['accuracy'])}**, macro F1 {rep['macro_avg']['f1-score']:.3f}{cal}.

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{_per_class_rows(rep, classes)}

Confusion matrix (rows true, columns predicted; `{png}`):

| | {' | '.join(classes)} |
|---|{'---|' * len(classes)}
{_cm_rows(rep, classes)}
"""


def _cpu_text(final: dict) -> str:
    cpu = final.get("cpu_seconds")
    return (f"; the final fit used {cpu / 3600:.1f} CPU hours (all threads; unlike wall time, "
            "not inflated by other work on the machine)") if cpu else ""


def _cost(row: dict) -> str:
    """Wall minutes, and the CPU minutes where the arm kept them (none: run before they were)."""
    cpu = row.get("cpu_minutes")
    extra = f" (CPU {cpu:.0f} min)" if cpu else ""
    return f"{row['minutes']:.0f} min{extra}"


def _ab_section(out_dir: Path) -> str:
    """The recipe's A/B table, from `ab_results.json` beside the card when one was measured."""
    f = out_dir / "ab_results.json"
    if not f.exists():
        return ""
    try:
        ab = json.loads(f.read_text())
        rows = "\n".join(
            f"| {r['change']} | {r['val_accuracy']:.3f} | {r['val_consensus']:.3f} "
            f"| {_cost(r)} | {r['verdict']} |" for r in ab["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return f"""
## Recipe: what earned its place (A/B at equal budget)
{ab.get('setup', '')}

| change | val acc (original) | val acc (consensus) | cost | kept? |
|---|---|---|---|---|
{rows}
"""


def int8_line(q: dict) -> str:
    """The card's int8 line: its figures, and whether the app runs it by default, and why."""
    text = (f"- int8 version: `{q['file']}` (static QDQ, `training/quantize.py`): PublicTest "
            f"{_pct(q['int8_accuracy'])} against {_pct(q['float_accuracy'])} for the float "
            f"model, the same class for {_pct(q['agreement'])} of PublicTest images")
    if "shift_agreement" not in q:
        return text + " (not measured on camera-like faces: the app runs the float model)"
    text += (f" and {_pct(q['shift_agreement'])} of {q['shift_images']:,} camera-like faces "
             f"({q['runtime']}). The app runs it by default only when it agrees on at least "
             "99.5 % of camera-like faces and loses at most 0.3 point on PublicTest")
    return text + (": **it does, so its figures are the app's**" if q.get("default") else
                   f": **it does not ({q['why_not']}); the app runs the float model, whose "
                   "figures these are**; `fer-analyze --fast` may use it for archives")


def write_card(path: Path, m: dict) -> None:
    classes = m["classes"]
    test = m["test"]
    hp = m["hparams"]
    cal = m.get("calibration", {})
    w = hp["width"]
    arch = ARCH_TEXT[hp.get("arch", "cnn7")].format(w=w, w2=2 * w, w4=4 * w, w8=8 * w)
    train_classes = m.get("train_classes", classes)
    targets = m.get("targets", {})
    truths = _truth_section("Against the original FER-2013 labels", test, classes,
                            "confusion_matrix.png", cal.get("ece_original"))
    if m.get("test_consensus"):
        truths += "\n" + _truth_section(
            "Against the FER+ raters' majority", m["test_consensus"], classes,
            "confusion_matrix_consensus.png", cal.get("ece_consensus"))
    trials = m.get("search", {}).get("trials", [])
    trial_rows = "\n".join(
        f"| {t['trial']} | {t['val_accuracy']:.3f} | {t['learning_rate']:.2e} | {t['dropout']:.2f} "
        f"| {t['weight_decay']:.1e} | {t['label_smoothing']:.2f} | {t['mixup']:.2f} "
        f"| {t['batch_size']} |"
        for t in trials
    ) or "| – | no search was run | | | | | | |"
    counts = m["data"]["counts"]
    q = m.get("int8")
    int8_text = int8_line(q) if q else "- no int8 version was made in this run"
    s = m.get("search", {})
    search_text = (
        f"hyperopt TPE, {s.get('max_evals', 0)} trials of {s.get('epochs', 0)} epochs on "
        f"{_pct(s.get('fraction', 0))} of the train split, scored on the validation score "
        "(mean accuracy against both truths)."
        if s.get("trials") else
        "No search in this run: the hyperparameters were given (`--hparams`, from an earlier "
        "search) or are the defaults. The search space, when one runs:")
    text = f"""# Model card — `{m['model_file']}`

Facial-emotion classifier for fer-companion. Generated by `fer-train` on {m['date']} from the
run's own results (`metrics.json` holds every figure below).

## Intended use
Decision support for clinical psychologists: a per-frame estimate of the *displayed* facial
expression, shown beside the clinician's own notes. **It is not a diagnosis** and does not measure
felt emotion, mood or any clinical condition. Do not use it to make decisions about a person
without a clinician's judgement.

## Model file contract
- input `float32 [N, 48, 48, 1]`: grayscale face crops, raw pixels 0–255 (scaling is inside the graph)
- output `float32 [N, {len(classes)}]`: softmax probabilities, classes in this order:
  `{','.join(classes)}` (ONNX metadata `classes`)
- test-time horizontal-flip averaging inside the graph: **{'yes' if m['flip_tta'] else 'no'}**
  (`--flip-tta {m['flip_tta_mode']}`; validation score {_pct(m['validation']['score_plain'])} plain vs
  {_pct(m['validation']['score_flip'])} with flip, which doubles the inference cost)
- members averaged inside the graph: {m.get('ensemble', 1)}; temperature {cal.get('temperature', 1.0):.3f}
  applied inside the graph (fitted on the validation split)
- ONNX/Keras parity on {m['export']['parity_images']} real images: max |Δ| = {m['export']['parity_max_abs_diff']:.1e}
{int8_text}

## Data
FER-2013 (Kaggle CSV), classes {', '.join(classes)}. Images are 48×48 grayscale faces, histogram-equalized
and JPEG-coded in this copy of the data set; the app stretches each face crop linearly, which did as well or
better on real photographs (DESIGN.md).

| split | source | images |
|---|---|---|
| train | FER-2013 *Training* minus validation | {m['data']['train']} |
| validation (search, early stopping, TTA choice) | stratified {_pct(m['data']['val_fraction'])} of *Training*, seed {m['seed']} | {m['data']['val']} |
| test (final report only) | FER-2013 *PublicTest* (all classes; each truth keeps the images it labels with one of these) | {m['data']['test']} |

Training images per class: {', '.join(f'{c} {n}' for c, n in counts.items())}. Imbalance is
handled with square-root-tempered balanced sample weights (capped at 2).

**Two truths.** FER-2013's labels come from one annotator each; FER+ (Barsoum et al. 2016, MIT)
had ten raters re-label every image ({targets.get('votes') or 'not used in this run'}). The net
learns {', '.join(train_classes)}; the exported graph keeps {', '.join(classes)} and renormalises
them. Each training target is {1 - targets.get('vote_weight', 0):.2f} × the original one-hot label
+ {targets.get('vote_weight', 0):.2f} × the raters' vote distribution (images without votes keep
their label){_adopted_text(targets)}{_turned_text(targets)}{_teacher_text(targets)}. Every figure below is given against both truths: the original label, and the
raters' majority (the class with at least half of an image's ten votes; images without such a
majority among these classes are left out of that truth).

## Architecture
{arch} → 2 fully connected layers ({8 * w} units with batch norm and dropout, then a
{len(train_classes)}-way softmax). {_params_text(m)}{_joined_text(m)} Augmentation during
training only (Keras layers): horizontal flip, shift ±10 %, rotation ±14°, zoom, contrast, random
erasing; MixUp on part of each batch; label smoothing. Optimiser AdamW, linear warm-up then
cosine decay; the epoch with the best validation score (mean of both truths) is kept.
{_ab_section(path.parent)}
## Hyperparameter search
{search_text}
Learning rate log-uniform in [3e-4, 6e-3] (as the original study), dropout, weight decay
(log-uniform), label smoothing, MixUp share, batch size.

| trial | val acc | learning rate | dropout | weight decay | label smoothing | mixup | batch |
|---|---|---|---|---|---|---|---|
{trial_rows}

**Chosen:** learning rate {hp['learning_rate']:.2e}, dropout {hp['dropout']:.2f}, weight decay
{hp['weight_decay']:.1e}, label smoothing {hp['label_smoothing']:.2f}, mixup {hp['mixup']:.2f},
batch {hp['batch_size']}; final fit {m['final']['epochs_run']} epochs (best validation accuracy
{_pct(m['final']['best_val_accuracy'])} original, {_pct(m['final'].get('best_val_consensus', float('nan')))} consensus).

## Results on PublicTest
{truths}
## Calibration
A "90 %" should be right nine times in ten. Temperature {cal.get('temperature', 1.0):.3f}, fitted on the
validation split (original labels) and applied inside the graph{_bias_text(cal)}{_top_map_text(cal)}, takes the expected calibration
error ({cal.get('bins', 15)} equal-width bins of the top probability) on PublicTest from
{cal.get('ece_original_uncalibrated', float('nan')):.3f} to **{cal.get('ece_original', float('nan')):.3f}** against the original labels
(consensus: {cal.get('ece_consensus_uncalibrated', float('nan')):.3f} → {cal.get('ece_consensus', float('nan')):.3f}). Reliability diagram: `reliability_diagram.png`.

## Cost
Precision {m['precision']}; training {m['final']['images_per_s']:.0f} images/s in the final fit;
wall time of the whole run {m['wall_time_s'] / 60:.1f} min (search {m['search_time_s'] / 60:.1f} min)
on {m['machine']}{_cpu_text(m['final'])}.

## Limitations
- FER-2013 faces are mostly frontal, web-sourced, and skewed in age and ethnicity; labels are noisy
  (human agreement on FER-2013 is about 65 % over seven classes). Expect lower accuracy on profile
  views, occlusion (hands, masks, glasses), poor light, children and under-represented groups.
- Only {len(classes)} classes are shown; a face showing anger, fear or disgust gets whichever of these
  the model finds closest. A label is an estimate of a displayed expression in one frame, not a state.
- Accuracy on a clinic's own camera depends on face detection and crop quality as well as on this model.
"""
    path.write_text(text)
