"""How the service-level schedule looks: numbered sections, an objective per headed paragraph,
tables, and on every page the contract's version and file sha256 (the footer). What it says is
`slaengine.domain.reports.annex`."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.style import (
    CONTENT_WIDTH,
    cell,
    grid,
    header_cells,
    markup,
    safe,
    styles,
    text,
)
from slaengine.domain.reports.annex import Annex, AnnexSection, Rows
from slaengine.i18n import _


def _paragraph(value: str) -> Paragraph:
    spaced = ParagraphStyle("annex_body", styles()["body"], spaceAfter=4)
    return Paragraph(safe(value), spaced)


def _table(caption: str, rows: Rows) -> list[Flowable]:
    header, *body = rows
    shares = (0.5, 0.25, 0.25) if len(header) == 3 else (0.34, 0.66)
    widths = [CONTENT_WIDTH * share for share in shares[: len(header)]]
    table = grid([header_cells(*header), *[[cell(value) for value in row] for row in body]], widths)
    head = [markup(safe(caption), "h3")] if caption else []
    return [KeepTogether([*head, table]), Spacer(1, 2 * mm)]


def _section(number: int, section: AnnexSection) -> list[Flowable]:
    title = ParagraphStyle("annex_h2", styles()["h2"], keepWithNext=1)
    story: list[Flowable] = [Paragraph(f"{number}. {safe(section.title)}", title)]
    story += [_paragraph(paragraph) for paragraph in section.paragraphs]
    for index, (heading, body) in enumerate(section.items, start=1):
        story.append(
            KeepTogether([markup(f"{number}.{index}. {safe(heading)}", "h3"), _paragraph(body)])
        )
    for caption, rows in section.tables:
        story += _table(caption, rows)
    return story


def annex_story(annex: Annex) -> list[Flowable]:
    story: list[Flowable] = [
        text(_("Service-level schedule"), "title"),
        text(f"{annex.title} · {annex.provider}", "subtitle"),
        text(annex.fingerprint, "hash"),
        Spacer(1, 3 * mm),
    ]
    for number, section in enumerate(annex.sections, start=1):
        story += _section(number, section)
    return story


def write_annex_pdf(annex: Annex, path: Path) -> Path:
    """Write the schedule to `path` (parents created); returns it."""
    frame = PageFrame(
        _("Service-level schedule"),
        annex.provider,
        _("version {version}").format(version=annex.version),
        note=annex.fingerprint,
    )
    return build_pdf(path, annex_story(annex), frame)
