"""How the director's portfolio looks: one overview page, benchmarks, then a page per provider."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer, Table

from slaengine.adapters.pdf.benchmark import benchmark_table
from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.scorecard import page_one
from slaengine.adapters.pdf.style import (
    STATUS_INK,
    cell,
    grid,
    header_cells,
    markup,
    safe,
    text,
)
from slaengine.domain.reports import Portfolio, PortfolioRow

OVERVIEW_WIDTHS = [40 * mm, 18 * mm, 50 * mm, 22 * mm, 26 * mm, 24 * mm]


def _critical_markup(row: PortfolioRow) -> str:
    if not row.critical:
        return "no critical objective"
    lines = []
    for item in row.critical:
        ink = str(STATUS_INK[item.status].hexval()).replace("0x", "#")
        lines.append(
            f'<font color="{ink}"><b>{safe(item.symbol)}</b></font> '
            f"{safe(item.objective_id)} {safe(item.actual)}"
        )
    return "<br/>".join(lines)


def overview_table(portfolio: Portfolio) -> Table:
    rows: list[list[object]] = [
        header_cells(
            "Provider / contract",
            "Sourcing",
            "Critical objectives",
            "Met / breached / n.d. / exc.",
            "Net credits owed",
            "Cost per contact",
        )
    ]
    for row in portfolio.rows:
        chronic = (
            f'<br/><font color="#b71c1c"><b>{safe("✖")} chronic failure</b></font>'
            if row.chronic_failure
            else ""
        )
        counts = row.counts
        rows.append(
            [
                markup(
                    f"<b>{safe(row.provider_name)}</b><br/>{safe(row.contract_id)} "
                    f"v{row.contract_version}{chronic}",
                    "cell",
                ),
                cell(row.sourcing),
                markup(_critical_markup(row), "cell"),
                cell(
                    f"{counts.met} / {counts.breached} / "
                    f"{counts.not_determined} / {counts.excused}",
                    "cell_right",
                ),
                markup(f"<b>{safe(row.net_credits)}</b>", "cell_right"),
                cell(row.cost_per_contact, "cell_right"),
            ]
        )
    return grid(rows, OVERVIEW_WIDTHS)


def portfolio_story(portfolio: Portfolio) -> list[Flowable]:
    totals = " · ".join(portfolio.credit_totals) or "none"
    story: list[Flowable] = [
        text(f"Provider portfolio {portfolio.period}", "title"),
        markup(
            f"{len(portfolio.rows)} contracts · net credits owed this month: <b>{safe(totals)}</b>",
            "subtitle",
        ),
        overview_table(portfolio),
    ]
    for table in portfolio.benchmarks:
        story += [markup(f"Benchmark: {safe(table.activity)}", "h2"), benchmark_table(table)]
    for card in portfolio.sections:
        story += [PageBreak(), *page_one(card)]
    return [*story, Spacer(1, 1)]


def render_portfolio(portfolio: Portfolio, path: Path) -> Path:
    """Write the portfolio PDF to `path` and return it."""
    frame = PageFrame(
        "Director portfolio", "all providers", portfolio.period, lifecycle=portfolio.lifecycle
    )
    return build_pdf(path, portfolio_story(portfolio), frame)
