"""The look of the PDF report: fonts, paragraph styles, table style (reportlab).

DejaVu Sans (shipped with matplotlib, an app dependency) is registered so that notes in any
script print; without it the built-in Helvetica (Latin-1) is used.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Table

INK, MUTED, HEAD_BG, RULE, ZEBRA = "#1B2A3A", "#5B6773", "#E6ECF2", "#B8C2CC", "#F6F8FA"


def make_table(rows: list, widths: list, header: bool = True):
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("FONT", (0, 0), (-1, -1), font_name(), 8.5), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.4, RULE),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                  ("FONT", (0, 0), (-1, 0), font_name(bold=True), 8.5)]
        style += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(rows), 2)]
    t.setStyle(style)
    return t


def font_name(bold: bool = False) -> str:
    """DejaVu Sans from matplotlib's data if it registers, else the built-in Helvetica."""
    name = "DejaVuSans-Bold" if bold else "DejaVuSans"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    try:
        import matplotlib

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(ttf / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(ttf / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                      italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
        return name
    except Exception:  # no matplotlib fonts: Latin-1 only, but a report all the same
        return "Helvetica-Bold" if bold else "Helvetica"


def styles() -> dict:
    font, bold = font_name(), font_name(bold=True)
    base = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, textColor=INK)
    return {
        "font": font, "body": base,
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11),
        "caption": ParagraphStyle("caption", base, fontSize=7.5, leading=9.5, textColor=MUTED,
                                  spaceBefore=2),
        "flag": ParagraphStyle("flag", base, fontSize=8.5, leading=11, textColor="#8A3B12",
                               backColor="#FBE9DC", borderPadding=3, spaceBefore=4,
                               spaceAfter=4),
        "title": ParagraphStyle("title", base, fontName=bold, fontSize=18, leading=22),
        "sub": ParagraphStyle("sub", base, fontSize=9.5, textColor=MUTED),
        "h2": ParagraphStyle("h2", base, fontName=bold, fontSize=11.5, leading=14,
                             spaceBefore=10, spaceAfter=4, textColor="#1F3A5F"),
    }

