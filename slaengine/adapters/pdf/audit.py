"""How the audit report looks: inputs and their hashes first, then every figure's derivation.

Byte-identical for identical inputs: invariant mode, no clock read, every list in a stable order.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Preformatted,
    Spacer,
    Table,
)

from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.relief import relief_trail_section
from slaengine.adapters.pdf.scorecard import feeds_table, window_text
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
from slaengine.domain.reports.text import format_period, kpi_name
from slaengine.i18n import _, current

SPEC_LINE_CHARS = 100
SPEC_OWN_PAGE_LINES = 40


def inputs_table(audit: AuditReport) -> Table:
    rows: list[list[object]] = [
        header_cells(_("Input"), _("Value")),
        [
            cell(_("Contract")),
            cell(
                _("{contract} version {version}").format(
                    contract=audit.contract_id, version=audit.contract_version
                )
            ),
        ],
        [cell(_("Contract file")), cell(audit.contract_source or "–", "hash")],
        [cell(_("Contract file sha256")), cell(audit.contract_file_hash, "hash")],
        [
            cell(_("Period")),
            cell(
                format_period(audit.period)
                + (" " + _("(month to date)") if audit.month_to_date else "")
            ),
        ],
        [cell(_("Evaluated as of")), cell(current().instant(audit.as_of, audit.zone))],
        [cell(_("Engine version")), cell(f"slaengine {audit.engine_version}")],
        [
            markup(f"<b>{safe(_('sha256 of all inputs'))}</b>", "cell"),
            cell(audit.inputs_sha256, "hash"),
        ],
    ]
    return grid(rows, [45 * mm, 135 * mm], zebra=False)


def formulas_table(audit: AuditReport) -> Table:
    rows: list[list[object]] = [
        header_cells(
            _("Objective"),
            _("Definition"),
            _("Numerator ÷ denominator"),
            _("Target"),
            _("Status"),
            _("Volume / excl. / pending"),
            _("Credit"),
        )
    ]
    for f in audit.formulas:
        windows = _("windows: {windows}").format(windows=f.windows)
        note = f"<br/>{safe(windows)}" if f.windows != "–" else ""
        note += f"<br/>{safe(f.reason)}" if f.reason else ""
        rows.append(
            [
                markup(f"<b>{safe(f.objective_id)}</b><br/>{safe(kpi_name(f.kpi))}", "cell"),
                markup(f"{safe(f.definition)}<br/>{safe(window_text(f.window))}{note}", "cell"),
                cell(f.formula),
                cell(f.target),
                cell(f.status),
                cell(f"{f.volume} / {f.excluded_contacts} / {f.pending_contacts}", "cell_right"),
                cell(f.credit, "cell_right"),
            ]
        )
    widths = [31 * mm, 40 * mm, 28 * mm, 14 * mm, 17 * mm, 27 * mm, 23 * mm]
    return grid(rows, widths)


def windows_section(audit: AuditReport) -> list[Flowable]:
    """Each window of the day and week objectives: what an auditor recomputes first."""
    found: list[Flowable] = []
    for f in audit.formulas:
        if not f.window_rows:
            continue
        rows: list[list[object]] = [
            header_cells(
                _("Window"), _("Numerator"), _("Denominator"), _("Value"), _("Volume"), _("Status")
            )
        ]
        rows += [
            [
                cell(w.window),
                cell(w.numerator, "cell_right"),
                cell(w.denominator, "cell_right"),
                cell(w.value, "cell_right"),
                cell(w.volume, "cell_right"),
                cell(w.status),
            ]
            for w in f.window_rows
        ]
        title = markup(safe(_("{objective}: each window").format(objective=f.objective_id)), "h3")
        table = grid(rows, [40 * mm, 25 * mm, 25 * mm, 25 * mm, 25 * mm, 40 * mm])
        found += [CondPageBreak(45 * mm), KeepTogether([title, table])] if len(rows) <= 8 else [
            CondPageBreak(45 * mm), title, table]  # fmt: skip
    if not found:
        return []
    return [markup(safe(_("Windows of the day and week objectives")), "h2"), *found]


def calendars_section(audit: AuditReport) -> list[Flowable]:
    found: list[Flowable] = [markup(safe(_("Calendars and closed days applied")), "h2")]
    if not audit.calendars:
        return [*found, text(_("The contract defines no calendar."))]
    rows: list[list[object]] = [
        header_cells(
            _("Calendar"), _("Weekly opening hours"), _("Holidays"), _("Closed days in the period")
        )
    ]
    for c in audit.calendars:
        closed = "<br/>".join(f"{d.isoformat()} {safe(name)}" for d, name in c.closed_in_period)
        rows.append(
            [
                cell(c.name),
                markup("<br/>".join(safe(w) for w in c.weekly), "cell"),
                cell(c.holidays_rule),
                markup(closed or safe(_("none")), "cell"),
            ]
        )
    return [KeepTogether([*found, grid(rows, [28 * mm, 45 * mm, 52 * mm, 55 * mm])])]


def exclusions_section(audit: AuditReport) -> list[Flowable]:
    found: list[Flowable] = [markup(safe(_("Exclusions and what they removed")), "h2")]
    if not audit.exclusions:
        return [*found, text(_("No exclusion applied."))]
    rows: list[list[object]] = [
        header_cells(_("Kind"), _("Id"), _("When"), _("Channels"), _("Reason"), _("Removed"))
    ]
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
    table = grid(rows, [22 * mm, 30 * mm, 36 * mm, 18 * mm, 38 * mm, 36 * mm])
    # a short table is never split; a long one starts where it has room
    return (
        [KeepTogether([*found, table])]
        if len(rows) <= 4
        else [CondPageBreak(40 * mm), *found, table]
    )


def credits_section(audit: AuditReport) -> list[Flowable]:
    rows: list[list[object]] = [header_cells(_("Credits"), _("Amount"))]
    rows += [[cell(label), cell(amount, "cell_right")] for label, amount in audit.credits]
    table = grid(rows, [60 * mm, 40 * mm], zebra=False)
    return [KeepTogether([markup(safe(_("Credits")), "h2"), table])]


def incentives_section(audit: AuditReport) -> list[Flowable]:
    """Each earn rule, the month figure, earned or not and why; then cap, total and the
    provider's net position. Nothing when the contract has no incentives."""
    view = audit.incentives
    if view is None:
        return []
    rows: list[list[object]] = [
        header_cells(
            _("Objective"), _("Earned when"), _("Share of the cap"), _("Figure"), _("Why"),
            _("Amount"),
        )
    ]  # fmt: skip
    for line in view.lines:
        mark = "✔" if line.earned else "–"
        rows.append(
            [
                cell(line.objective_id, "cell_bold"),
                cell(line.when),
                cell(line.share, "cell_right"),
                cell(line.figure, "cell_right"),
                cell(f"{mark} {line.why}"),
                cell(line.amount, "cell_right"),
            ]
        )
    table = grid(rows, [30 * mm, 22 * mm, 20 * mm, 18 * mm, 62 * mm, 25 * mm])
    totals: list[list[object]] = [
        header_cells(_("Incentives (bonus)"), _("Amount")),
        [cell(_("cap")), cell(view.cap, "cell_right")],
        [
            cell(_("total") + (" " + _("(scaled down to the cap)") if view.scaled else "")),
            cell(view.total, "cell_right"),
        ],
    ]
    if view.offset_credits:
        totals.append(
            [cell(_("offset against the credits")), cell(view.credits_offset, "cell_right")]
        )
    totals += [
        [cell(_("paid")), cell(view.payable, "cell_right")],
        [cell(_("net position for the provider")), cell(view.net_position, "cell_right")],
    ]
    heading = markup(safe(_("Incentives (bonus)")), "h2")
    return [
        KeepTogether(
            [heading, table, Spacer(1, 2 * mm), grid(totals, [60 * mm, 40 * mm], zebra=False)]
        )
    ]


def history_section(audit: AuditReport) -> list[Flowable]:
    found: list[Flowable] = [markup(safe(_("Restatement history")), "h2")]
    found += [text(line) for line in audit.restatements] or [text(_("No restatement."))]
    found.append(markup(safe(_("Evaluation notes")), "h2"))
    found += [text(line) for line in audit.notes] or [text(_("none"))]
    found.append(markup(safe(_("Evaluation input hashes")), "h2"))
    hashes = [cell(digest, "hash") for digest in audit.input_hashes]
    return found + (hashes or [text(_("The evaluation recorded no input hash."))])


def spec_section(audit: AuditReport) -> list[Flowable]:
    """The contract file exactly as evaluated; long lines wrap, nothing is interpreted.

    A long file starts on its own page; a short one follows on."""
    long = audit.spec_text.count("\n") > SPEC_OWN_PAGE_LINES
    return [
        PageBreak() if long else CondPageBreak(60 * mm),
        markup(safe(_("Contract specification as evaluated")), "h2"),
        Preformatted(
            printable(audit.spec_text),
            styles()["mono"],
            maxLineLength=SPEC_LINE_CHARS,
            newLineChars="  ",
        ),
    ]


def audit_story(audit: AuditReport) -> list[Flowable]:
    intro = _(
        "Everything needed to reproduce the figures of {contract} for {period}: the inputs"
        " and their sha256, each objective's formula with its counts, calendars, feed files,"
        " exclusions and the contract as evaluated."
    ).format(contract=f"<b>{safe(audit.contract_id)}</b>", period=safe(format_period(audit.period)))
    return [
        text(_("Audit report: {provider}").format(provider=audit.provider_name), "title"),
        markup(intro, "subtitle"),
        inputs_table(audit),
        markup(safe(_("Objectives: formulas and counts")), "h2"),
        formulas_table(audit),
        *windows_section(audit),
        *credits_section(audit),
        *incentives_section(audit),
        *calendars_section(audit),
        CondPageBreak(40 * mm),
        markup(safe(_("Feed files")), "h2"),
        feeds_table(audit.feeds) if audit.feeds else text(_("No feed file for this period.")),
        *exclusions_section(audit),
        *relief_trail_section(audit.relief),
        *history_section(audit),
        Spacer(1, 2 * mm),
        *spec_section(audit),
    ]


def render_audit(audit: AuditReport, path: Path) -> Path:
    """Write the audit PDF to `path` and return it (same report, same bytes)."""
    frame = PageFrame(
        _("Audit report"),
        f"{audit.contract_id} v{audit.contract_version}",
        format_period(audit.period),
        note=_("inputs sha256 {digest}").format(digest=audit.inputs_sha256),
        lifecycle=audit.lifecycle,
    )
    return build_pdf(path, audit_story(audit), frame)
