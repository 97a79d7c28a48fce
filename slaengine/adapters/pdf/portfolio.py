"""How the director's portfolio looks: one overview page, benchmarks, then a page per provider."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer, Table

from slaengine.adapters.pdf.benchmark import benchmark_table
from slaengine.adapters.pdf.charts import months_lines_chart
from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.relief import pending_relief_lines
from slaengine.adapters.pdf.scorecard import page_one
from slaengine.adapters.pdf.style import (
    CONTENT_WIDTH,
    STATUS_INK,
    cell,
    grid,
    header_cells,
    markup,
    safe,
    text,
)
from slaengine.domain.reports import Portfolio, PortfolioRow
from slaengine.domain.reports.text import STATUS_SYMBOLS, format_period, sourcing_label
from slaengine.i18n import _, ngettext

OVERVIEW_WIDTHS = [36 * mm, 21 * mm, 58 * mm, 22 * mm, 27 * mm, 16 * mm]


def _breached_markup(row: PortfolioRow) -> str:
    """Every breached objective (any level) with its value, target and trend; then how many
    critical objectives were met. A month without data says so, and nothing else."""
    if row.no_data:
        ink = str(STATUS_INK["not_determined"].hexval()).replace("0x", "#")
        return f'<font color="{ink}"><b>? {safe(row.no_data)}</b></font>'
    ink = str(STATUS_INK["breached"].hexval()).replace("0x", "#")
    lines = [
        f'<font color="{ink}"><b>{safe(item.symbol)} {safe(item.objective_id)}</b></font>'
        f" ({safe(item.level)}) {safe(item.actual)}, {safe(_('target'))} {safe(item.target)},"
        f' <font color="#52606d">{safe(item.trend)}</font>'
        for item in row.breached
    ] or [safe(_("no objective breached"))]
    if row.critical:
        lines.append(f'<font color="#52606d">{safe(row.critical_met)}</font>')
    return "<br/>".join(lines)


def _counts_markup(row: PortfolioRow) -> str:
    counts = row.counts
    pairs = (
        ("met", counts.met, ngettext("{n} met", "{n} met", counts.met)),
        ("breached", counts.breached, ngettext("{n} breached", "{n} breached", counts.breached)),
        (
            "not_determined",
            counts.not_determined,
            ngettext("{n} not determined", "{n} not determined", counts.not_determined),
        ),
        ("excused", counts.excused, ngettext("{n} excused", "{n} excused", counts.excused)),
    )
    return "<br/>".join(
        f'<font color="{str(STATUS_INK[s].hexval()).replace("0x", "#")}">'
        f"{safe(STATUS_SYMBOLS[s])}</font> {safe(words.format(n=n))}"
        for s, n, words in pairs
        if n
    )


def _money_markup(row: PortfolioRow) -> str:
    """Net credits owed, then the incentives and the provider's net position when the
    contract has incentives."""
    if row.no_data:
        return "–"  # nothing was measured: no credit is owed, none is "0,00 €"
    found = f"<b>{safe(row.net_credits)}</b>" if row.has_credits else safe(_("no credits"))
    if row.incentives is not None and row.net_position is not None:
        found += (
            f'<br/><font size="6.5" color="#52606d">{safe(_("incentives"))}'
            f" {safe(row.incentives)}<br/>{safe(_('net position'))}</font>"
            f"<br/><b>{safe(row.net_position)}</b>"
        )
    return found


def overview_table(portfolio: Portfolio) -> Table:
    rows: list[list[object]] = [
        header_cells(
            _("Provider / contract"),
            _("Sourcing"),
            _("Breached objectives, trend vs {month}").format(
                month=format_period(_previous(portfolio.period), short=True)
            ),
            _("Objectives"),
            _("Net credits owed"),
            _("Cost per contact"),
        )
    ]
    for row in portfolio.rows:
        chronic = (
            f'<br/><font color="#b71c1c"><b>{safe("✖")} '
            f"{safe(_('chronic failure: termination right'))}</b></font>"
            if row.chronic_failure
            else ""
        )
        rows.append(
            [
                markup(
                    f"<b>{safe(row.provider_name)}</b><br/>{safe(row.contract_id)} "
                    f"v{row.contract_version}{chronic}",
                    "cell",
                ),
                cell(sourcing_label(row.sourcing)),
                markup(_breached_markup(row), "cell"),
                markup(_counts_markup(row), "cell"),
                markup(_money_markup(row), "cell_right"),
                cell(row.cost_per_contact, "cell_right"),
            ]
        )
    return grid(rows, OVERVIEW_WIDTHS)


def portfolio_story(portfolio: Portfolio) -> list[Flowable]:
    totals = " · ".join(portfolio.credit_totals) or _("no credits")
    subtitle = _("{count} contracts · net credits owed this month: {totals}").format(
        count=len(portfolio.rows), totals=f"<b>{safe(totals)}</b>"
    )
    story: list[Flowable] = [
        text(
            _("Provider portfolio, {month}").format(month=format_period(portfolio.period)),
            "title",
        ),
        markup(subtitle, "subtitle"),
        overview_table(portfolio),
        Spacer(1, 3 * mm),
        *pending_relief_lines(portfolio.pending_relief),
        *history_charts(portfolio),
    ]
    for table in portfolio.benchmarks:
        story += [
            CondPageBreak(120 * mm),
            markup(safe(_("Benchmark: {activity}").format(activity=table.activity)), "h2"),
            benchmark_table(table),
            Spacer(1, 1.5 * mm),
            text(
                _(
                    "Every setup is measured here with the same definitions, which may differ"
                    " from each contract's own: email response is counted over 24 calendar"
                    " hours here, on each contract's own clock in its section below, so the"
                    " two figures can differ."
                ),
                "small",
            ),
        ]
    for card in portfolio.sections:
        story += [PageBreak(), *page_one(card)]
    return [*story, Spacer(1, 1)]


def history_charts(portfolio: Portfolio) -> list[Flowable]:
    """Net credits owed and critical objectives met, per provider, over the evaluated months."""
    if len(portfolio.periods) < 2:
        return []
    with_credits = [
        i for i, p in enumerate(portfolio.history) if any(c is not None for c in p.credits)
    ]
    credits = [
        (p.name, [float(c) if c is not None else None for c in p.credits])
        for p in (portfolio.history[i] for i in with_credits)
    ]
    shares = [
        (p.name, [100 * s if s is not None else None for s in p.critical_met])
        for p in portfolio.history
    ]
    currencies = sorted({p.currency for p in portfolio.history})
    title = _("Net credits owed per month ({currency})").format(currency=", ".join(currencies))
    found: list[Flowable] = []
    if credits:
        found.append(
            months_lines_chart(
                title, portfolio.periods, credits, CONTENT_WIDTH, colour_of=with_credits
            )
        )
        if any(c is not None and c < 0 for _name, line in credits for c in line):
            found.append(
                text(
                    _(
                        "Below zero: credits earned back that month (an objective met in the"
                        " months after its breach returns the credit) exceed the credits owed."
                    ),
                    "small",
                )
            )
        found.append(Spacer(1, 4 * mm))
    found.append(
        months_lines_chart(
            _("Critical objectives met per month (%)"),
            portfolio.periods,
            shares,
            CONTENT_WIDTH,
            percent=True,
        )
    )
    return [KeepTogether(found)]


def _previous(period: str) -> str:
    from slaengine.domain.contract.periods import shift_period

    return shift_period(period, -1)


def render_portfolio(portfolio: Portfolio, path: Path) -> Path:
    """Write the portfolio PDF to `path` and return it."""
    frame = PageFrame(
        _("Director portfolio"),
        _("all providers"),
        format_period(portfolio.period),
        lifecycle=portfolio.lifecycle,
    )
    return build_pdf(path, portfolio_story(portfolio), frame)
