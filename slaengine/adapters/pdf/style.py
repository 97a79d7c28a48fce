"""One look for every report: A4, fonts, colours, paragraph styles, safe text.

DejaVu Sans is used when the system has it (it carries ✔ ✖ ≤ → ▲ ▼); otherwise the
standard Helvetica, whose encoding lacks those glyphs, and every such symbol is replaced by
an ASCII twin (OK, X, <=, ->, +, -) so that nothing prints as a black box.

Untrusted text (provider, queue, file names, reasons) enters a Paragraph only through
`text()`/`cell()`, which escape it exactly once: `ACME <EU> & Co <b>x</b>` prints as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, Table, TableStyle

PAGE = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
HEADER_BG = colors.HexColor("#243b53")
ZEBRA = colors.HexColor("#f5f7fa")
ACCENT = colors.HexColor("#2f6fb0")

STATUS_INK = {
    "met": colors.HexColor("#1b5e20"),
    "breached": colors.HexColor("#b71c1c"),
    "not_determined": colors.HexColor("#7a5d00"),
    "excused": colors.HexColor("#455a64"),
}
STATUS_FILL = {
    "met": colors.HexColor("#e3f2e5"),
    "breached": colors.HexColor("#fde3e3"),
    "not_determined": colors.HexColor("#fff4cc"),
    "excused": colors.HexColor("#e6ebee"),
}
ASCII_TWINS = {
    "✔": "OK",
    "✖": "X",
    "≤": "<=",
    "≥": ">=",
    "→": "->",
    "▲": "up",
    "▼": "down",
    "−": "-",
    "≠": "!=",
    "\u202f": "\u00a0",
    "…": "...",
}


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    mono: str
    unicode: bool


@cache
def fonts() -> Fonts:
    """Register DejaVu once if the system has it; Helvetica/Courier otherwise."""
    for folder in FONT_DIRS:
        files = {
            name: folder / f"{name}.ttf"
            for name in ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono")
        }
        if all(path.is_file() for path in files.values()):
            for name, path in files.items():
                pdfmetrics.registerFont(TTFont(name, str(path)))
            pdfmetrics.registerFontFamily(
                "DejaVuSans",
                normal="DejaVuSans",
                bold="DejaVuSans-Bold",
                italic="DejaVuSans",
                boldItalic="DejaVuSans-Bold",
            )
            return Fonts("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono", True)
    return Fonts("Helvetica", "Helvetica-Bold", "Courier", False)


def printable(value: object) -> str:
    """The text as the font can print it (ASCII twins for symbols the font lacks)."""
    text = str(value)
    if fonts().unicode:
        return text
    for symbol, twin in ASCII_TWINS.items():
        text = text.replace(symbol, twin)
    return text


def safe(value: object) -> str:
    """Untrusted text made printable and escaped once, ready to sit inside Paragraph markup."""
    return escape(printable(value))


@cache
def styles() -> dict[str, ParagraphStyle]:
    f = fonts()
    # no embeddedHyphenation: ReportLab 5.1 then drops the hyphen of 'opening-hours'
    base = ParagraphStyle("body", fontName=f.regular, fontSize=9, leading=11.5, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9.2),
        "cell_right": ParagraphStyle(
            "cell_right", base, fontSize=7.5, leading=9.2, alignment=TA_RIGHT
        ),
        "cell_bold": ParagraphStyle("cell_bold", base, fontName=f.bold, fontSize=7.5, leading=9.2),
        "head": ParagraphStyle(
            "head", base, fontName=f.bold, fontSize=7.5, leading=9.2, textColor=colors.white
        ),
        "head_small": ParagraphStyle(
            "head_small", base, fontName=f.bold, fontSize=6.8, leading=8.4, textColor=colors.white
        ),
        "hash": ParagraphStyle(
            "hash", base, fontName=f.mono, fontSize=6.5, leading=8, wordWrap="CJK"
        ),
        "file": ParagraphStyle("file", base, fontSize=6.8, leading=8.4),
        "mono": ParagraphStyle("mono", base, fontName=f.mono, fontSize=7, leading=8.6),
        "title": ParagraphStyle(
            "title", base, fontName=f.bold, fontSize=17, leading=21, spaceAfter=2
        ),
        "subtitle": ParagraphStyle(
            "subtitle", base, fontSize=9.5, leading=12.5, textColor=MUTED, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName=f.bold,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            textColor=HEADER_BG,
        ),
        "h3": ParagraphStyle(
            "h3", base, fontName=f.bold, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=2
        ),
        "big": ParagraphStyle("big", base, fontName=f.bold, fontSize=13, leading=16),
    }


def text(value: object, style: str = "body") -> Paragraph:
    """A paragraph of untrusted text, escaped once."""
    return Paragraph(safe(value), styles()[style])


def markup(trusted: str, style: str = "body") -> Paragraph:
    """A paragraph of markup built by this package (its untrusted parts already `safe`)."""
    return Paragraph(trusted, styles()[style])


def cell(value: object, style: str = "cell") -> Paragraph:
    return text(value, style)


def header_cells(*titles: str) -> list[Paragraph]:
    return [markup(safe(title), "head") for title in titles]


def status_cell(status: str, label: str) -> Paragraph:
    """`✔ met` in the status colour, bold: the symbol carries it in black and white."""
    ink = STATUS_INK.get(status, INK).hexval().replace("0x", "#")
    return markup(f'<font color="{ink}"><b>{safe(label)}</b></font>', "cell")


def grid(
    rows: list[list[object]],
    widths: list[float],
    *,
    zebra: bool = True,
    extra: list[tuple[object, ...]] | None = None,
) -> Table:
    """A table with a dark header row repeated on every page it spans."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if zebra:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]))
    table.setStyle(TableStyle([*commands, *(extra or [])]))
    return table
