"""A patient's course as a one-page PDF (reportlab, A4 landscape) and its figure (matplotlib).

`course_png(course)`: each emotion's share (and the uncertain share) across the sessions, one
line per emotion, sessions in date order on the x axis; the app's Patient dialog shows the same
PNG. `write_course_pdf(course, path)`: the patient code, the figure, one table row per session
(date, duration, shares, uncertain, no face, no signal, looking away: episodes, their time and
the longest, notes, kappa, marks) and what the marks and columns mean; past 10 sessions the
figure gets lower and the table denser (one page up to about 24).
Written through a temporary file (a one-line ExportError, never a half-written file).
"""

from __future__ import annotations

import contextlib
import io
from datetime import datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer

from app.core.analysis.uncertainty import UNCERTAIN
from app.core.report.atomic import write_atomically
from app.core.report.data import fmt_time
from app.core.report.looking_away import MERGE_GAP_S, MIN_EPISODE_S
from app.core.report.palette import UNCERTAIN_COLOUR, class_colour
from app.core.report.patient_course import CourseRow, PatientCourse, differs_text
from app.core.report.pdf import DISCLAIMER
from app.core.report.style import make_table, styles

BASELINE_MARK = "*"  # the session's figures are baseline-corrected
DIFFERS_MARK = "†"  # another model or detector than most of the sessions
AWAY_HEAD = "Looking away"  # the column: episodes · their total time (the longest)


def session_date(iso: str) -> str:
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    return iso or "unknown"


def course_png(course: PatientCourse, *, width_in: float = 9.5, height_in: float = 2.9,
               dpi: int = 150) -> bytes:
    """PNG bytes: the share of each emotion (% of face frames) per session."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = list(range(1, len(course.rows) + 1))
    series = [(c, class_colour(c, i), "-") for i, c in enumerate(course.classes)]
    if course.threshold > 0:
        series.append((UNCERTAIN, UNCERTAIN_COLOUR, "--"))
    for name, colour, style in series:
        ys = [(r.uncertain if name == UNCERTAIN else r.shares.get(name)) for r in course.rows]
        ax.plot(x, [float("nan") if y is None else 100 * y for y in ys], style, marker="o",
                color=colour, label=name, linewidth=1.8, markersize=4)
    labels = []
    for r in course.rows:
        mark = (BASELINE_MARK if r.baseline else "") + (DIFFERS_MARK if r.differs else "")
        labels.append(f"{session_date(r.started_at)[:10]}{mark}")
    crowded = len(labels) > 8
    ax.set_xticks(x, labels, fontsize=7, rotation=40 if crowded else 0,
                  ha="right" if crowded else "center")
    ax.set_xlim(0.7, max(len(x), 1) + 0.3)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of face frames", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(True, axis="y", color="#DDDDDD", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if series:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def away_text(row: CourseRow) -> str:
    """`2 · 00:05 (00:03)`: a session's looking-away episodes, their total time and (the
    longest); `0` without one. The PDF's and the app's cell."""
    if not row.away_episodes:
        return "0"
    return f"{row.away_episodes} · {fmt_time(row.away_s)} ({fmt_time(row.away_longest_s)})"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f} %"


def _story(course: PatientCourse, st: dict, width: float) -> list:
    p = Paragraph
    n = len(course.rows)
    story = [p(f"Patient course · {course.patient_code or 'no code'}", st["title"]),
             p(f"{n} session{'s' if n != 1 else ''} · share of each emotion over the frames "
               "showing the patient's face &middot; <b>decision support, not a diagnosis</b>",
               st["sub"]), Spacer(1, 2 * mm)]
    compact = n > 10  # many sessions: a lower figure and a denser table keep it on one page
    png = course_png(course, width_in=width / 72,
                     height_in=max(1.3, 2.6 - 0.1 * (n - 10)) if compact else 2.6)
    img = Image(io.BytesIO(png))
    img.drawHeight *= width / img.drawWidth
    img.drawWidth = width
    story.append(img)
    unsure = [UNCERTAIN] if course.threshold > 0 else []
    head = ["Date", "Duration", *course.classes, *unsure, "No face", "No signal", AWAY_HEAD,
            "Notes", "Kappa (n)", "Marks"]
    rows = [head]
    for r in course.rows:
        marks = []
        if r.baseline:
            marks.append(f"{BASELINE_MARK} baseline")
        if r.differs:
            marks.append(f"{DIFFERS_MARK} {differs_text(r)}")
        kappa = "–" if r.kappa is None else f"{r.kappa:.2f} ({r.kappa_notes})"
        rows.append([session_date(r.started_at), fmt_time(r.duration_s),
                     *(_pct(r.shares.get(c)) for c in course.classes),
                     *([_pct(r.uncertain)] if unsure else []), fmt_time(r.no_face_s),
                     fmt_time(r.no_signal_s), away_text(r), str(r.notes), kappa,
                     p(", ".join(marks), st["small"])])
    fixed = [30 * mm, 17 * mm]
    tail = [16 * mm, 19 * mm, 27 * mm, 12 * mm, 19 * mm, 39 * mm]
    share_w = (width - sum(fixed) - sum(tail)) / max(1, len(course.classes) + len(unsure))
    table = make_table(rows, fixed + [share_w] * (len(course.classes) + len(unsure)) + tail)
    table.setStyle([("FONTSIZE", (0, 0), (-1, -1), 8), ("LEFTPADDING", (0, 0), (-1, -1), 4),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4)])  # room for the 14 columns
    if compact:
        table.setStyle([("FONTSIZE", (0, 0), (-1, -1), 7), ("TOPPADDING", (0, 0), (-1, -1), 1),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])
    story.append(table)
    notes = ["Shares: of the frames where the patient's face was read (detected, not turned "
             "away)" + (f"; uncertain: the model's top probability below {course.threshold:.0%}, "
                       "not counted in an emotion" if course.threshold > 0 else "") + ".",
             f"{BASELINE_MARK} baseline: the session has a resting-face baseline and its "
             "figures use the corrected probabilities (as its own report).",
             f"{DIFFERS_MARK} other model / detector: analysed with another model or face "
             "detector than most of this patient's sessions; its figures are not directly "
             "comparable.",
             "No face: time without the patient's face; no signal: time the live source was "
             "lost. Looking away: episodes · their total time (the longest); an episode is the "
             f"face there but turned away for {MIN_EPISODE_S:g} s or more, breaks under "
             f"{MERGE_GAP_S:g} s bridged, as in the session report. Kappa: clinician-model "
             "agreement on the notes tagged with an emotion (n compared notes)."]
    story += [p(" ".join(notes), st["caption"]), Spacer(1, 2 * mm),
              p(DISCLAIMER, st["caption"])]
    return story


def build_course_pdf(course: PatientCourse) -> bytes:
    st = styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=14 * mm,
                            rightMargin=14 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title="Patient course", author="fer-companion",
                            subject=f"patient {course.patient_code}")
    doc.build(_story(course, st, doc.width))
    return buf.getvalue()


def write_course_pdf(course: PatientCourse, path: str | Path) -> Path:
    pdf = build_course_pdf(course)
    return write_atomically(path, "patient course PDF", lambda f: f.write(pdf))
