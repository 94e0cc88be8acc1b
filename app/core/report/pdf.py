"""The PDF record of a session (reportlab): `write_pdf(ReportData, path)`.

Sections: session facts; the timeline figure (timeline_figure.py); time in each emotion and
where it dominated; looking away (episodes of the patient's face turned away, looking_away.py);
the notes (time, text, perceived, the model's emotion within ±1 s); the
clinician-model agreement (agreement.py); the model's test accuracy per class from its
metrics.json; and, on every page, that this is decision support and not a diagnosis.

The PDF is built in memory and written in one go through a temporary file beside the target,
so an unwritable path raises a one-line `ExportError` and never leaves a half-written file.
A video frame (`Snapshot`) can be added; its faces are blurred unless `blur_faces=False`.
Fonts and styles: report_style.py.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus.doctemplate import LayoutError

from app.core.analysis.baseline import rest_check_frames
from app.core.analysis.providers import device_label
from app.core.analysis.results import Box
from app.core.analysis.sources import source_label
from app.core.report.agreement import MIN_PER_CLASS, Agreement, agreement
from app.core.report.atomic import write_atomically
from app.core.report.data import (
    ExportError,
    ReportData,
    bin_seconds,
    emotion_summary,
    face_fraction,
    fmt_time,
    turned_fraction,
)
from app.core.report.looking_away import MERGE_GAP_S, MIN_EPISODE_S, LookingAway
from app.core.report.model_figures import mistakes_text, model_figures, summary, table
from app.core.report.palette import TURNED_AWAY_COLOUR, UNCERTAIN_COLOUR
from app.core.report.style import MUTED, make_table, styles
from app.core.report.timeline_figure import class_color, timeline_png
from app.core.session.outages import SignalSummary

DISCLAIMER = (
    "This report is decision support, not a diagnosis. The model classifies visible facial "
    "expressions into a few categories frame by frame; it does not measure what the patient "
    "feels, and it errs (see the model's accuracy figures). Read it beside the clinician's own "
    "observations; clinical judgement rests with the clinician."
)


KAPPA_EXPLAINED = (
    "Cohen's kappa is the agreement between clinician and model corrected for the agreement "
    "expected by chance: 0 = no better than chance, 1 = perfect agreement (negative: worse "
    "than chance). Percent agreement is not corrected for chance."
)


@dataclass(frozen=True)
class Snapshot:
    """A video frame to include, with the face boxes to blur (`Face.box` values)."""

    image_bgr: np.ndarray
    boxes: Sequence[Box]
    time_s: float


def write_pdf(data: ReportData, path: str | Path, *, snapshot: Snapshot | None = None,
              blur_faces: bool = True) -> Path:
    """Write the session report to `path`; ExportError (one line) if it cannot be written."""
    pdf = build_pdf(data, snapshot=snapshot, blur_faces=blur_faces)
    return write_atomically(path, "PDF report", lambda f: f.write(pdf))


def build_pdf(data: ReportData, *, snapshot: Snapshot | None = None,
              blur_faces: bool = True) -> bytes:
    st = styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=18 * mm, title="Session report",
                            author="fer-companion", subject=f"patient {data.meta.patient_code}")
    footer = _footer(data, st["font"])
    try:
        doc.build(_story(data, st, doc.width, snapshot, blur_faces),
                  onFirstPage=footer, onLaterPages=footer)
    except LayoutError as exc:  # e.g. one note longer than a page
        raise ExportError(f"cannot lay out the PDF report ({_first_line(exc)})") from None
    return buf.getvalue()


def _story(data: ReportData, st: dict, width: float, snapshot: Snapshot | None,
           blur: bool) -> list:
    m, p = data.meta, Paragraph
    notes = data.sorted_notes
    story = [p("Session report", st["title"]),
             p("Facial emotion timeline beside the clinician's notes &middot; "
               "<b>decision support, not a diagnosis</b>", st["sub"]), Spacer(1, 3 * mm)]
    faces = f" (patient's face in {face_fraction(data.frames):.0%})" if data.frames else ""
    if data.frames and any(r.turned_away for r in data.frames):
        faces = (f" (patient's face read in {face_fraction(data.frames):.0%}, turned away in "
                 f"{turned_fraction(data.frames):.0%})")
    facts = [("Patient code", m.patient_code or "not given"), ("Date", _date(m.started_at)),
             ("Clinician", m.clinician or "not given"), ("Title", m.title or "—"),
             ("Source", source_label(m.source) or "unknown"),
             ("Duration", fmt_time(data.duration_s)),
             ("Frames", f"{len(data.frames):,}{faces}"),
             ("Inference", device_label(m.provider) or "not recorded"),
             ("Model", m.model_description + (f" ({m.model_choice})" if m.model_choice else "")),
             ("Uncertain below", _threshold(data)),
             ("Baseline", _baseline(data)), ("Notes", str(len(data.notes)))]
    if outages := data.outages:  # a live source lost its signal: counted apart from no face
        lost = SignalSummary.of(outages)
        facts += [("Signal lost", f"{lost.count} time{'s' if lost.count != 1 else ''}"),
                  ("No signal", f"{fmt_time(lost.seconds, tenths=True)} in all "
                                f"({lost.seconds / max(data.duration_s, 1e-9):.1%})")]
    rows = [[p(f"<b>{a}</b>", st["small"]), p(escape(b), st["body"]),
             p(f"<b>{c}</b>", st["small"]), p(escape(d), st["body"])]
            for (a, b), (c, d) in zip(facts[::2], facts[1::2], strict=True)]
    story.append(make_table(rows, [26 * mm, width / 2 - 26 * mm, 22 * mm, width / 2 - 22 * mm],
                        header=False))

    story += [p("Emotion timeline", st["h2"]), _figure(data, width)]
    unsure = (f" (light grey: uncertain, top probability below {data.threshold.value:.0%})"
              if data.threshold.value > 0 else "")
    story.append(p("Lines: the model's probability of each emotion for the patient's face "
                   f"(gaps: face not seen or turned away). Strip: the most probable "
                   f"emotion{unsure}. Numbered markers: the notes below." + _turned(data)
                   + _switches(data) + _outages(data), st["caption"]))

    story.append(p("Time in each emotion", st["h2"]))
    rows = [["Emotion", "Share of face time", "Where it dominated (longest stretches)"]]
    bin_s = bin_seconds(data.frames)
    for e in emotion_summary(data.frames, data.classes, below=data.threshold.value,
                             raw=data.raw_frames):
        where = ", ".join(f"{fmt_time(a)}&ndash;{fmt_time(b)}" for a, b in e.stretches)
        rows.append([p(_swatch(e.label, data.classes), st["body"]),
                     "–" if e.share is None else f"{e.share:.1%}",
                     p(where or f"no stretch of {3 * bin_s:.0f} s or more", st["body"])])
    story += [make_table(rows, [34 * mm, 34 * mm, width - 68 * mm]),
              p("Share of the frames showing the patient's face (uncertain frames apart, when the "
                "model's calibration gives a threshold). Stretches: at least three "
                f"consecutive {bin_s:.0f}-second bins in which the emotion was the most frequent "
                "label.", st["caption"])]

    story += _looking_away(data.looking_away, st, p)

    story.append(p("Notes", st["h2"]))
    if notes:
        rows, differ = [["#", "Time", "Note", "Perceived", "Model"]], []
        for i, (n, label, number) in enumerate(
                zip(notes, data.note_labels, data.note_numbers, strict=True), 1):
            rows.append([str(number), fmt_time(n.time_s, tenths=True), p(_text(n.text), st["body"]),
                         n.perceived or "", label.text])
            if label.label and n.perceived in data.classes and label.label != n.perceived:
                differ.append(("BACKGROUND", (4, i), (4, i), "#FBE3DE"))
        table = make_table(rows, [9 * mm, 17 * mm, width - 72 * mm, 21 * mm, 25 * mm])
        table.setStyle(differ)
        story += [table, p("Model: the patient's most frequent emotion in the second up to the "
                           "note (the label the app showed beside it); shaded where it differs "
                           "from the emotion the clinician perceived.", st["caption"])]
    else:
        story.append(p("No notes were taken in this session.", st["body"]))

    story.append(KeepTogether(_agreement(agreement(notes, data.note_labels, data.classes), st, p)))
    story.append(KeepTogether(_accuracy(data, st, p)))
    if snapshot is not None:
        story.append(KeepTogether(_snapshot(snapshot, blur, st, width)))
    story += [p("About this report", st["h2"]), p(DISCLAIMER, st["body"])]
    return story


def _turned(data: ReportData) -> str:
    if not any(r.turned_away for r in data.frames):
        return ""
    return (" Sand: the patient's face was there but turned too far to read its emotion "
            "(turned away); shaded across the lines where it lasted long enough to be a "
            "looking-away episode.")


def _looking_away(a: LookingAway, st: dict, p) -> list:
    out = [p("Looking away", st["h2"])]
    rule = (f"An episode: the patient's face turned away (head turned beyond the limit at which "
            f"its emotion is no longer read) for at least {MIN_EPISODE_S:g} s, breaks shorter "
            f"than {MERGE_GAP_S:g} s bridged. Turned-away frames are left out of the emotion "
            "shares and of the notes' model labels.")
    if a.count == 0:
        none = ("The patient's face was never turned away." if a.turned_frames == 0 else
                f"No episode ({a.turned_frames:,} turned-away frames, none in a run of "
                f"{MIN_EPISODE_S:g} s).")
        return out + [p(none, st["body"]), p(rule, st["caption"])]
    where = ", ".join(f"{fmt_time(s)}&ndash;{fmt_time(e)}" for s, e in a.episodes[:12])
    more = f" and {a.count - 12} more" if a.count > 12 else ""
    swatch = f'<font color="{TURNED_AWAY_COLOUR}">&#9632;</font>'
    text = (f"{swatch} <b>{a.count}</b> looking-away episode{'s' * (a.count != 1)}, "
            f"<b>{_seconds(a.total_s)}</b> in all, the longest <b>{_seconds(a.longest_s)}</b>: "
            f"{where}{more}.")
    return out + [p(text, st["body"]), p(rule, st["caption"])]


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 60 else fmt_time(s)


def _agreement(a: Agreement, st: dict, p) -> list:
    out = [p("Clinician and model agreement", st["h2"])]
    if a.tagged == 0:
        return out + [p("No note carries a perceived emotion, so there is no agreement to "
                        "report.", st["body"])]
    left = []
    if a.other:
        left.append(f"{a.other} tagged 'other'")
    if a.no_face:
        left.append(f"{a.no_face} without a model emotion (no face, turned away, uncertain "
                    "or after the last frame)")
    text = (f"{a.n} of {a.tagged} notes with a perceived emotion compared with the model's "
            "label of the note (as in the notes table)"
            + (f" (not compared: {', '.join(left)})" if left else "") + ". ")
    if a.n:
        kappa = ("not defined (both sides used one and the same emotion throughout)"
                 if a.kappa is None else f"<b>{a.kappa:.2f}</b> ({_kappa_words(a.kappa)})")
        text += f"Percent agreement <b>{a.percent:.1f} %</b>; Cohen's kappa {kappa}."
    out.append(p(text, st["body"]))
    out.append(p(KAPPA_EXPLAINED, st["caption"]))
    if a.n and a.kappa is not None and not a.reliable:
        thin = ", ".join(f"{c} ({k})" for c, k in a.thin_classes.items())
        out.append(p(f"<b>Flag: too few notes to rely on kappa.</b> It needs at least "
                     f"{MIN_PER_CLASS} compared notes for every emotion the clinician tagged; "
                     f"here: {thin}. Read it as indicative only.", st["flag"]))
    if a.n:
        rows = [[p("<b>clinician \\ model</b>", st["small"]), *a.classes]]
        rows += [[c, *map(str, row)] for c, row in zip(a.classes, a.confusion, strict=True)]
        t = make_table(rows, [34 * mm] + [22 * mm] * len(a.classes))
        t.setStyle([("BACKGROUND", (i, i), (i, i), "#DCEBDD") for i in range(1, len(rows))])
        t.hAlign = "LEFT"
        out.append(t)
    return out


def _accuracy(data: ReportData, st: dict, p) -> list:
    out = [p("Model accuracy (from its model card)", st["h2"])]
    f = model_figures(data.metrics, data.classes)
    if f is None:
        return out + [p("The model's accuracy figures are unavailable (no metrics.json beside "
                        "the model).", st["body"])]
    out.append(p(" ".join(filter(None, (summary(f, lambda s: f"<b>{s}</b>"), mistakes_text(f)))),
                 st["body"]))
    t = make_table(table(f), [34 * mm] + [22 * mm] * 3 + ([28 * mm] if f.has_raters else []))
    t.hAlign = "LEFT"
    note = ("Precision: of the faces the model gave this emotion, the share that showed it. "
            "Recall: of the faces that showed it, the share the model found (original labels; "
            "raters: the FER+ majority).")
    return out + [t, p(note, st["caption"])]


def _snapshot(snap: Snapshot, blur: bool, st: dict, width: float) -> list:
    import cv2

    from app.core.report.blur import blur_faces

    image = blur_faces(snap.image_bgr, snap.boxes) if blur else snap.image_bgr
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise ExportError("cannot encode the video frame for the report")
    h, w = image.shape[:2]
    shown = min(width, 120 * mm)
    img = Image(io.BytesIO(png.tobytes()), width=shown, height=shown * h / w)
    note = "faces blurred" if blur else "faces NOT blurred"
    return [Paragraph(f"Video frame at {fmt_time(snap.time_s)} ({note})", st["h2"]), img]


def _figure(data: ReportData, width: float):
    png = timeline_png(data.frames, data.classes, data.sorted_notes, width_in=width / 72 * 1.1,
                       numbers=data.note_numbers, below=data.threshold.value,
                       raw=data.raw_frames, switches=[e.time_s for e in data.events
                                                      if e.kind == "patient"],
                       baseline=(b.start_s, b.end_s) if (b := data.meta.baseline) else None,
                       outages=[(o.start_s, o.end_s) for o in data.outages])
    img = Image(io.BytesIO(png))
    img.drawHeight *= width / img.drawWidth
    img.drawWidth = width
    return img


def _switches(data: ReportData) -> str:
    times = [f"{fmt_time(e.time_s, True)} ({escape(e.detail)})" for e in data.events
             if e.kind == "patient"]
    if not times:
        return ""
    return (" Purple lines: the clinician made another face the patient, at "
            f"{', '.join(times)}; the figures follow that face from there on.")


def _outages(data: ReportData) -> str:
    if not (outages := data.outages):
        return ""
    spans = ", ".join(f"{fmt_time(o.start_s, True)}&ndash;{fmt_time(o.end_s, True)}"
                      for o in outages)
    return (f" Hatched grey: the live source delivered no frames (no signal) at {spans}; "
            "notes made then are labelled 'no signal'.")


def _baseline(data: ReportData) -> str:
    b = data.meta.baseline
    if b is None:
        return "not used (the model's own probabilities)"
    text = (f"used: this patient's resting face {fmt_time(b.start_s, True)}–"
            f"{fmt_time(b.end_s, True)} ({b.frames} frames, shaded on the timeline) reads "
            "neutral; all figures use the corrected probabilities")
    why = rest_check_frames(data.raw_frames or data.frames, data.classes, b.start_s, b.end_s,
                            data.threshold.value or 0.5)
    return f"{text}. Kept by the clinician although: {why}" if why else text


def _threshold(data: ReportData) -> str:
    t = data.threshold
    return f"{t.value:.0%} top probability" if t.value > 0 else "not set (no calibration)"


def _swatch(label: str, classes: Sequence[str]) -> str:
    color = UNCERTAIN_COLOUR if label not in classes else \
        class_color(label, list(classes).index(label))
    return f'<font color="{color}">&#9632;</font> {escape(label)}'


def _text(text: str) -> str:
    """Paragraph markup for plain note text: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _kappa_words(k: float) -> str:
    """Landis & Koch's conventional reading of kappa."""
    for limit, words in ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"),
                         (0.8, "substantial")):
        if k <= limit:
            return f"{words} agreement"
    return "almost perfect agreement"


def _date(iso: str) -> str:
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    return iso or "unknown"


def _footer(data: ReportData, font: str):
    m = data.meta
    left = f"fer-companion · patient {m.patient_code or '–'} · {_date(m.started_at)}"

    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        y = doc.bottomMargin - 10
        canvas.drawString(doc.leftMargin, y, left)
        canvas.drawRightString(doc.leftMargin + doc.width, y,
                               f"Decision support, not a diagnosis · page {doc.page}")
        canvas.restoreState()

    return draw
