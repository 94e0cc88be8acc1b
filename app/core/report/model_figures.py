"""What the model's own test figures say, in words a clinician reads.

One source for the PDF report and the app's *About the model* dialog: the overall accuracy
against FER-2013's original labels and against the FER+ raters' majority (for the int8 model,
its own overall accuracy beside its float source's), per-class figures, the commonest mistakes
(read from the confusion matrices: e.g. the share of the faces the raters call neutral that the
model calls sad), and the calibration error. `metrics` is fer-train's `metrics.json` as
`report.data.load_metrics` returns it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

MISTAKE_SHARE = 0.10  # a confusion worth telling the clinician: ≥ 10 % of a class's faces
JUDGES = {"test": "the original label calls", "test_consensus": "the raters call"}


@dataclass(frozen=True)
class Mistake:
    truth: str  # the emotion the face showed, by `judge`
    said: str  # what the model said instead
    share: float  # of the faces showing `truth`
    judge: str  # who says the face showed `truth`, with the verb: "the raters call"


@dataclass(frozen=True)
class ClassFigures:
    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    recall_raters: float | None  # against the FER+ majority


@dataclass(frozen=True)
class ModelFigures:
    accuracy: float  # the model's own (the int8 model's for the int8 model)
    n: int | None
    consensus: float | None  # against the raters' majority
    n_consensus: int | None
    float_accuracy: float | None  # int8 only: the float model it was made from
    agreement: float | None  # int8 only: share of images where both pick the same class
    per_class: tuple[ClassFigures, ...]
    mistakes: tuple[Mistake, ...]  # commonest first
    ece: float | None  # expected calibration error on PublicTest, original labels

    @property
    def has_raters(self) -> bool:
        return any(c.recall_raters is not None for c in self.per_class)


def model_figures(metrics: dict | None, classes: Sequence[str]) -> ModelFigures | None:
    """The figures of `metrics` for `classes`, or None when it has none to give."""
    test = (metrics or {}).get("test")
    if not isinstance(test, dict) or "accuracy" not in test:
        return None
    cons = metrics.get("test_consensus") or {}
    int8 = metrics.get("int8") if metrics.get("int8_file") else None
    rows = []
    for c in classes:
        s = test.get("per_class", {}).get(c) or {}
        r = cons.get("per_class", {}).get(c) or {}
        rows.append(ClassFigures(c, s.get("precision"), s.get("recall"), s.get("f1-score"),
                                 r.get("recall")))
    ece = (metrics.get("calibration") or {}).get("ece_original")
    return ModelFigures(
        accuracy=float(int8["int8_accuracy"] if int8 else test["accuracy"]), n=test.get("n"),
        consensus=cons.get("accuracy"), n_consensus=cons.get("n"),
        float_accuracy=float(test["accuracy"]) if int8 else None,
        agreement=float(int8["agreement"]) if int8 else None,
        per_class=tuple(rows), mistakes=_mistakes(metrics, classes),
        ece=float(ece) if isinstance(ece, (int, float)) else None)


def _mistakes(metrics: dict, classes: Sequence[str]) -> tuple[Mistake, ...]:
    found = []
    for key, judge in JUDGES.items():
        cm = (metrics.get(key) or {}).get("confusion_matrix")
        if not isinstance(cm, list) or len(cm) != len(classes):
            continue
        for i, row in enumerate(cm):  # rows: the truth, columns: the model's label
            total = sum(row)
            for j, count in enumerate(row):
                if i != j and total and count / total >= MISTAKE_SHARE:
                    found.append(Mistake(classes[i], classes[j], count / total, judge))
    return tuple(sorted(found, key=lambda m: -m.share))


def pct(x: float) -> str:
    return f"{x:.1%}"


def summary(f: ModelFigures, bold: Callable[[str], str] = str) -> str:
    """The overall figures in two or three sentences; `bold` marks up the headline figure."""
    n = f" on {f.n:,} test images" if f.n else ""
    text = (f"Overall accuracy {bold(pct(f.accuracy))}{n} (FER-2013 PublicTest, posed and web "
            "photos: expect lower accuracy on live video)")
    if f.consensus is not None:
        ncons = f" on the {f.n_consensus:,} images" if f.n_consensus else ""
        text += (f"; judged instead by the majority of ten raters (FER+){ncons} where that is "
                 f"one of these emotions, {pct(f.consensus)}")
    text += "."
    if f.float_accuracy is not None:  # the int8 model: per-class figures are its source's
        text += (f" This is the int8 version of the model; the float model it was made from "
                 f"scores {pct(f.float_accuracy)} and picks the same emotion on "
                 f"{pct(f.agreement)} of the images. The other figures are the float model's.")
    return text


def mistakes_text(f: ModelFigures, most: int = 3) -> str:
    """The commonest mistakes in one sentence ('' when none reaches MISTAKE_SHARE)."""
    if not f.mistakes:
        return ""
    parts = [f"{m.share:.0%} of the faces {m.judge} {m.truth} are called {m.said}"
             for m in f.mistakes[:most]]
    return "Its commonest mistakes: " + "; ".join(parts) + "."


def cell(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def table(f: ModelFigures) -> list[list[str]]:
    """The per-class table, header first; the raters' column only where there are figures."""
    raters = f.has_raters
    return [["Emotion", "Precision", "Recall", "F1", *(["Recall (raters)"] if raters else [])],
            *([c.label, cell(c.precision), cell(c.recall), cell(c.f1),
               *([cell(c.recall_raters)] if raters else [])] for c in f.per_class)]
