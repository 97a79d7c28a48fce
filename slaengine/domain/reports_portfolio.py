"""What the director's portfolio says: one overview line per contract, then each provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from slaengine.domain.benchmark import BenchmarkResult
from slaengine.domain.report_text import format_money
from slaengine.domain.reports_benchmark import BenchmarkTable, build_benchmark_table
from slaengine.domain.reports_scorecard import Scorecard, StatusCounts
from slaengine.domain.results import Status
from slaengine.i18n import _


@dataclass(frozen=True)
class CriticalStatus:
    objective_id: str
    status: Status
    symbol: str
    actual: str
    target: str = ""
    level: str = ""
    trend: str = "–"


@dataclass(frozen=True)
class PortfolioRow:
    """One contract on the overview page."""

    contract_id: str
    contract_version: int
    provider_name: str
    sourcing: str
    activity: str
    critical: tuple[CriticalStatus, ...]
    counts: StatusCounts
    credits_owed: str
    earned_back: str
    net_credits: str
    cost_per_contact: str
    chronic_failure: bool
    breached: tuple[CriticalStatus, ...] = ()
    critical_met: str = ""
    has_credits: bool = True


@dataclass(frozen=True)
class Portfolio:
    """Every contract of the period: overview rows, credit totals, sections, benchmarks."""

    period: str
    rows: tuple[PortfolioRow, ...]
    credit_totals: tuple[str, ...]
    sections: tuple[Scorecard, ...]
    benchmarks: tuple[BenchmarkTable, ...]


def portfolio_row(card: Scorecard) -> PortfolioRow:
    critical = tuple(
        CriticalStatus(row.objective_id, row.status, row.symbol, row.actual)
        for row in card.rows
        if row.level == "critical"
    )
    breached = tuple(
        CriticalStatus(
            row.objective_id, row.status, row.symbol, row.actual, row.target,
            row.level_text or row.level, row.trend_text,
        )
        for row in card.rows
        if row.status == "breached"
    )  # fmt: skip
    met = sum(1 for item in critical if item.status == "met")
    return PortfolioRow(
        breached=breached,
        critical_met=_("{met} of {count} critical objectives met").format(
            met=met, count=len(critical)
        ),
        has_credits=card.has_credits,
        contract_id=card.contract_id,
        contract_version=card.contract_version,
        provider_name=card.provider_name,
        sourcing=card.sourcing,
        activity=card.activity,
        critical=critical,
        counts=card.counts,
        credits_owed=card.money(card.credits_owed),
        earned_back=card.money(card.earned_back),
        net_credits=card.money(card.net_credits),
        cost_per_contact=card.cost_per_contact or "–",
        chronic_failure=bool(card.chronic_failures),
    )


def credit_totals(cards: Sequence[Scorecard]) -> tuple[str, ...]:
    """Net credits owed, summed per currency (never across currencies)."""
    totals: dict[str, Decimal] = {}
    for card in cards:
        totals[card.currency] = totals.get(card.currency, Decimal("0.00")) + card.net_credits
    return tuple(format_money(amount, currency) for currency, amount in sorted(totals.items()))


def build_portfolio(
    period: str, scorecards: Sequence[Scorecard], benchmarks: Sequence[BenchmarkResult] = ()
) -> Portfolio:
    """Order: by activity, in-house before outsourced, then contract id."""
    cards = sorted(scorecards, key=lambda c: (c.activity, c.sourcing != "in-house", c.contract_id))
    return Portfolio(
        period=period,
        rows=tuple(portfolio_row(card) for card in cards),
        credit_totals=credit_totals(cards),
        sections=tuple(cards),
        benchmarks=tuple(
            build_benchmark_table(result, names={c.contract_id: c.provider_name for c in cards})
            for result in benchmarks
        ),
    )
