"""The page frame shared by every report: header, footer with `page X of Y`, invariant output.

`invariant=1` fixes the document id and creation date, so the same story gives the same
bytes; the only timestamps printed are the ones passed in (the evaluation's `as_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from slaengine import __version__
from slaengine.adapters.pdf.style import MARGIN, MUTED, PAGE, RULE, fonts, printable
from slaengine.errors import ReportError
from slaengine.i18n import _


@dataclass(frozen=True)
class PageFrame:
    """What the header and footer of every page say."""

    report: str
    subject: str
    period: str
    note: str = ""
    lifecycle: str = ""  # provisional / final line, printed above the header of every page


def _numbered_canvas(frame: PageFrame) -> type[Canvas]:
    class NumberedCanvas(Canvas):  # type: ignore[misc]
        """Holds pages back until the end so that each can say `page X of Y`."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._pages:
                self.__dict__.update(state)
                _decorate(self, frame, len(self._pages))
                super().showPage()
            super().save()

    return NumberedCanvas


def _decorate(canvas: Canvas, frame: PageFrame, total: int) -> None:
    f = fonts()
    width, height = PAGE
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, height - MARGIN + 4, width - MARGIN, height - MARGIN + 4)
    canvas.line(MARGIN, MARGIN - 6, width - MARGIN, MARGIN - 6)
    canvas.setFillColor(MUTED)
    canvas.setFont(f.bold, 8)
    report = printable(frame.report)
    canvas.drawString(MARGIN, height - MARGIN + 8, report)
    canvas.setFont(f.regular, 8)
    right = f"{frame.subject} · {frame.period}" if frame.subject else frame.period
    room = width - 2 * MARGIN - stringWidth(report, f.bold, 8) - 12
    canvas.drawRightString(width - MARGIN, height - MARGIN + 8, fitted(printable(right), room))
    if frame.lifecycle:
        canvas.setFont(f.bold, 8)
        lifecycle = fitted(printable(frame.lifecycle), width - 2 * MARGIN)
        canvas.drawString(MARGIN, height - MARGIN + 19, lifecycle)
        canvas.setFont(f.regular, 8)
    canvas.drawString(MARGIN, MARGIN - 15, printable(frame.note or f"slaengine {__version__}"))
    page = _("page {page} of {total}").format(page=canvas.getPageNumber(), total=total)
    canvas.drawRightString(width - MARGIN, MARGIN - 15, printable(page))
    canvas.restoreState()


def fitted(line: str, room: float, size: float = 8) -> str:
    """`line` cut with `…` so that it fits `room` points (a long provider name never overprints
    the report's name)."""
    font = fonts().regular
    if stringWidth(line, font, size) <= room:
        return line
    while line and stringWidth(line + "…", font, size) > room:
        line = line[:-1]
    return line.rstrip() + "…"


def build_pdf(path: Path, story: list[Flowable], frame: PageFrame) -> Path:
    """Write `story` to `path` (A4, invariant); ReportError when the file cannot be written."""
    doc = SimpleDocTemplate(
        str(path),
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6,
        bottomMargin=MARGIN + 2,
        invariant=1,
        title=f"{frame.report}: {frame.subject} {frame.period}".strip(),
        author="slaengine",
        creator=f"slaengine {__version__}",
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.build(story, canvasmaker=_numbered_canvas(frame))
    except OSError as error:
        raise ReportError(f"{path}: cannot write the report: {error.strerror or error}") from None
    return path
