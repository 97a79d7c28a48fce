"""How the audit report looks: inputs and their hashes first, then every figure's derivation.

Byte-identical for identical inputs: invariant mode, no clock read, every list in a stable order.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Preformatted, Spacer, Table

from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.scorecard import feeds_table
from slaengine.adapters.pdf.style import (
    cell,
    grid,
    header_cells,
    markup,
    printable,
    safe,
    styles,
    text,
)
from slaengine.domain.reports import AuditReport

SPEC_LINE_CHARS = 100


def inputs_table(audit: AuditReport) -> Table:
    rows: list[list[object]] = [
        header_cells("Input", "Value"),
        [cell("Contract"), cell(f"{audit.contract_id} version {audit.contract_version}")],
        [cell("Contract file"), cell(audit.contract_source or "–", "hash")],
        [cell("Contract file sha256"), cell(audit.contract_file_hash, "hash")],
        [cell("Period"), cell(audit.period + (" (month to date)" if audit.month_to_date else ""))],
        [cell("Evaluated as of"), cell(audit.as_of.isoformat())],
        [cell("Engine version"), cell(f"slaengine {audit.engine_version}")],
        [markup("<b>sha256 of all inputs</b>", "cell"), cell(audit.inputs_sha256, "hash")],
    ]
    return grid(rows, [45 * mm, 135 * mm], zebra=False)


def formulas_table(audit: AuditReport) -> Table:
    rows: list[list[object]] = [
        header_cells(
            "Objective",
            "Definition",
            "Numerator ÷ denominator",
            "Target",
            "Status",
            "Volume / excl. / pending",
            "Credit",
        )
    ]
    for f in audit.formulas:
        note = f"<br/>windows: {safe(f.windows)}" if f.windows != "–" else ""
        note += f"<br/>{safe(f.reason)}" if f.reason else ""
        rows.append(
            [
                markup(
                    f"<b>{safe(f.objective_id)}</b><br/>{safe(f.kpi.replace('_', ' '))}", "cell"
                ),
                markup(f"{safe(f.definition)}<br/>window {safe(f.window)}{note}", "cell"),
                cell(f.formula),
                cell(f.target),
                cell(f.status),
                cell(f"{f.volume} / {f.excluded_contacts} / {f.pending_contacts}", "cell_right"),
                cell(f.credit, "cell_right"),
            ]
        )
    widths = [31 * mm, 40 * mm, 28 * mm, 14 * mm, 17 * mm, 27 * mm, 23 * mm]
    return grid(rows, widths)


def calendars_section(audit: AuditReport) -> list[Flowable]:
    found: list[Flowable] = [markup("Calendars and closed days applied", "h2")]
    if not audit.calendars:
        return [*found, text("The contract defines no calendar.")]
    rows: list[list[object]] = [
        header_cells("Calendar", "Weekly opening hours", "Holidays", "Closed days in the period")
    ]
    for c in audit.calendars:
        closed = "<br/>".join(f"{d.isoformat()} {safe(name)}" for d, name in c.closed_in_period)
        rows.append(
            [
                cell(c.name),
                markup("<br/>".join(safe(w) for w in c.weekly), "cell"),
                cell(c.holidays_rule),
                markup(closed or "none", "cell"),
            ]
        )
    return [*found, grid(rows, [28 * mm, 45 * mm, 52 * mm, 55 * mm])]


def exclusions_section(audit: AuditReport) -> list[Flowable]:
    found: list[Flowable] = [markup("Exclusions and what they removed", "h2")]
    if not audit.exclusions:
        return [*found, text("No exclusion applied.")]
    rows: list[list[object]] = [header_cells("Kind", "Id", "When", "Channels", "Reason", "Removed")]
    for e in audit.exclusions:
        rows.append(
            [
                cell(e.kind),
                cell(e.name),
                cell(e.when),
                cell(e.channels),
                cell(e.reason),
                cell(e.removed),
            ]
        )
    return [*found, grid(rows, [18 * mm, 26 * mm, 38 * mm, 18 * mm, 40 * mm, 40 * mm])]


def credits_section(audit: AuditReport) -> list[Flowable]:
    rows: list[list[object]] = [header_cells("Credits", "Amount")]
    rows += [[cell(label), cell(amount, "cell_right")] for label, amount in audit.credits]
    return [markup("Credits", "h2"), grid(rows, [60 * mm, 40 * mm], zebra=False)]


def history_section(audit: AuditReport) -> list[Flowable]:
    found: list[Flowable] = [markup("Restatement history", "h2")]
    found += [text(line) for line in audit.restatements] or [text("No restatement.")]
    found.append(markup("Evaluation notes", "h2"))
    found += [text(line) for line in audit.notes] or [text("none")]
    found.append(markup("Evaluation input hashes", "h2"))
    hashes = [cell(digest, "hash") for digest in audit.input_hashes]
    return found + (hashes or [text("The evaluation recorded no input hash.")])


def spec_section(audit: AuditReport) -> list[Flowable]:
    """The contract file exactly as evaluated; long lines wrap, nothing is interpreted."""
    return [
        markup("Contract specification as evaluated", "h2"),
        Preformatted(
            printable(audit.spec_text),
            styles()["mono"],
            maxLineLength=SPEC_LINE_CHARS,
            newLineChars="  ",
        ),
    ]


def audit_story(audit: AuditReport) -> list[Flowable]:
    intro = (
        f"Everything needed to reproduce the figures of <b>{safe(audit.contract_id)}</b>"
        f" for {safe(audit.period)}: the inputs and their sha256, each objective's formula"
        " with its counts, calendars, feed files, exclusions and the contract as evaluated."
    )
    return [
        text(f"Audit report: {audit.provider_name}", "title"),
        markup(intro, "subtitle"),
        inputs_table(audit),
        markup("Objectives: formulas and counts", "h2"),
        formulas_table(audit),
        *credits_section(audit),
        *calendars_section(audit),
        markup("Feed files", "h2"),
        feeds_table(audit.feeds) if audit.feeds else text("No feed file for this period."),
        *exclusions_section(audit),
        *history_section(audit),
        Spacer(1, 2 * mm),
        *spec_section(audit),
    ]


def render_audit(audit: AuditReport, path: Path) -> Path:
    """Write the audit PDF to `path` and return it (same report, same bytes)."""
    frame = PageFrame(
        "Audit report",
        f"{audit.contract_id} v{audit.contract_version}",
        audit.period,
        note=f"inputs sha256 {audit.inputs_sha256}",
        lifecycle=audit.lifecycle,
    )
    return build_pdf(path, audit_story(audit), frame)
