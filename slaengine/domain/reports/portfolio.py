"""What the director's portfolio says: one overview line per contract, then each provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from slaengine.domain.evaluation.benchmark import BenchmarkResult
from slaengine.domain.evaluation.results import Status
from slaengine.domain.reports.benchmark import BenchmarkTable, build_benchmark_table
from slaengine.domain.reports.scorecard import Scorecard, StatusCounts
from slaengine.domain.reports.text import format_money
from slaengine.i18n import ngettext


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
    incentives: str | None = None  # the month's incentives; None: no incentives block
    net_position: str | None = None  # incentives paid minus credits owed, for the provider
    no_data: str | None = None  # "no data received for …" (never counted as met)
    breached_count: int = 0  # objectives breached (any level)


@dataclass(frozen=True)
class ProviderMonths:
    """One provider's last 12 months: net credits owed and share of critical objectives met
    (None where the month was not evaluated or has no critical objective)."""

    name: str
    currency: str
    credits: tuple[Decimal | None, ...]
    critical_met: tuple[float | None, ...]


@dataclass(frozen=True)
class Portfolio:
    """Every contract of the period: overview rows, credit totals, sections, benchmarks."""

    period: str
    rows: tuple[PortfolioRow, ...]
    credit_totals: tuple[str, ...]
    sections: tuple[Scorecard, ...]
    benchmarks: tuple[BenchmarkTable, ...]
    lifecycle: str = ""  # provisional / final / restated line shown on every page
    periods: tuple[str, ...] = ()
    history: tuple[ProviderMonths, ...] = ()
    # relief requests awaiting a decision: (provider, contract id, count), any month
    pending_relief: tuple[tuple[str, str, int], ...] = ()


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
        critical_met=ngettext(
            "{met} of {count} critical objectives met",
            "{met} of {count} critical objectives met",
            met,
        ).format(met=met, count=len(critical)),
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
        incentives=card.incentives.total if card.incentives else None,
        net_position=card.incentives.net_position if card.incentives else None,
        no_data=card.no_data,
        breached_count=card.counts.breached,
    )


def credit_totals(cards: Sequence[Scorecard]) -> tuple[str, ...]:
    """Net credits owed, summed per currency (never across currencies)."""
    totals: dict[str, Decimal] = {}
    for card in cards:
        totals[card.currency] = totals.get(card.currency, Decimal("0.00")) + card.net_credits
    return tuple(format_money(amount, currency) for currency, amount in sorted(totals.items()))


def provider_months(
    cards: Sequence[Scorecard],
) -> tuple[tuple[str, ...], tuple[ProviderMonths, ...]]:
    """The months any contract was evaluated in (oldest first), and each provider's figures."""
    periods = tuple(sorted({m.period for card in cards for m in card.months}))
    found = []
    for card in cards:
        by_period = {m.period: m for m in card.months}
        credits = tuple(
            by_period[p].net_credits if p in by_period and card.has_credits else None
            for p in periods
        )
        shares = tuple(
            by_period[p].critical_met / by_period[p].critical_total
            if p in by_period and by_period[p].critical_total
            else None
            for p in periods
        )
        found.append(ProviderMonths(card.provider_name, card.currency, credits, shares))
    return periods, tuple(found)


def build_portfolio(
    period: str, scorecards: Sequence[Scorecard], benchmarks: Sequence[BenchmarkResult] = ()
) -> Portfolio:
    """Order: by activity, in-house before outsourced, then contract id."""
    cards = sorted(scorecards, key=lambda c: (c.activity, c.sourcing != "in-house", c.contract_id))
    periods, history = provider_months(cards)
    return Portfolio(
        periods=periods,
        history=history,
        period=period,
        rows=tuple(portfolio_row(card) for card in cards),
        credit_totals=credit_totals(cards),
        sections=tuple(cards),
        benchmarks=tuple(
            build_benchmark_table(result, names={c.contract_id: c.provider_name for c in cards})
            for result in benchmarks
        ),
    )
