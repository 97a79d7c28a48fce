"""How relief requests look in reports: a table of the month's requests on the scorecard, the
whole trail in the audit report, the requests awaiting a decision in the portfolio."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer

from slaengine.adapters.pdf.style import cell, grid, header_cells, markup, safe, text
from slaengine.domain.reports.relief import ReliefLine, relief_summary
from slaengine.domain.reports.text import format_count
from slaengine.i18n import _


def relief_section(lines: Sequence[ReliefLine]) -> list[Flowable]:
    """The scorecard's section: each request, its status, who decided, contacts excluded."""
    if not lines:
        return []
    rows: list[list[object]] = [
        header_cells(_("Request"), _("When"), _("Channels"), _("Reason"), _("Decision"),
                     _("Contacts"))
    ]  # fmt: skip
    for line in lines:
        decision = line.decision if line.withdrawal is None else line.withdrawal
        rows.append(
            [
                cell(f"#{line.request_id} {line.status}", "cell_bold"),
                cell(line.when),
                cell(line.channels),
                cell(line.reason),
                cell(decision),
                cell(line.contacts),
            ]
        )
    table = grid(rows, [20 * mm, 34 * mm, 18 * mm, 36 * mm, 40 * mm, 32 * mm])
    heading = _("Relief requests of the month: {summary}").format(summary=relief_summary(lines))
    return [CondPageBreak(45 * mm), markup(safe(heading), "h2"), table, Spacer(1, 2 * mm)]


def relief_trail_section(lines: Sequence[ReliefLine]) -> list[Flowable]:
    """The audit report's section: every step of every request of the month."""
    found: list[Flowable] = [
        CondPageBreak(45 * mm),
        markup(safe(_("Relief requests: the whole trail")), "h2"),
    ]
    if not lines:
        return [*found, text(_("No relief request for this month."))]
    rows: list[list[object]] = [header_cells(_("Request"), _("Trail"))]
    for line in lines:
        trail = [
            _("interval: {when} · {channels} · {hours} h").format(
                when=line.when, channels=line.channels, hours=line.hours
            ),
            _("reason: {reason}").format(reason=line.reason),
            _("requested by {who}").format(who=line.requested),
            _("evidence: {evidence}").format(evidence=line.evidence),
            _("decision: {decision}").format(decision=line.decision),
        ]
        if line.withdrawal:
            trail.append(_("withdrawal: {step}").format(step=line.withdrawal))
        trail.append(line.contacts)
        rows.append(
            [cell(f"#{line.request_id} {line.status}", "cell_bold"), [cell(item) for item in trail]]
        )
    return [*found, grid(rows, [26 * mm, 154 * mm])]


def pending_relief_lines(pending: Sequence[tuple[str, str, int]]) -> list[Flowable]:
    """The portfolio's line: relief requests awaiting a decision, per provider."""
    if not pending:
        return []
    parts = "; ".join(
        f"{provider} ({contract_id}): {format_count(count)}"
        for provider, contract_id, count in pending
    )
    total = sum(count for _provider, _contract, count in pending)
    return [
        text(
            _("Relief requests awaiting a decision: {total} ({parts})").format(
                total=format_count(total), parts=parts
            )
        ),
        Spacer(1, 2 * mm),
    ]
