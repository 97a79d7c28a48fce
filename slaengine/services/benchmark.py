"""Run a sourcing benchmark: every setup of one activity on one definition set (SPEC section 3).

Setups: each in-house contract, each outsourced contract, and `mixed` (all contacts of the
activity together, as the customer experiences them). Every setup is tallied with the same
objectives, the same zone and the same calendars, whatever each contract says; the mixed
setup is tallied over the union of the contacts, so its counts are the sums of the parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy.engine import Engine

from slaengine.domain.contract.model import CHANNELS, BenchmarkSpec, Contract
from slaengine.domain.evaluation.benchmark import (
    MIXED,
    BenchmarkResult,
    KpiFigure,
    SetupResult,
    SetupSourcing,
    cost_figure,
    cost_per_contact,
    default_benchmark,
)
from slaengine.errors import ContractNotFound, EvaluationError


@dataclass(frozen=True)
class _Costs:
    amount: Decimal | None
    currency: str | None
    note: str | None = None


@dataclass(frozen=True)
class _Scope:
    """What every setup is measured with: objectives, zone, calendars, period, as_of."""

    spec: BenchmarkSpec
    zone: ZoneInfo
    calendars: dict[str, Any]
    first_day: date
    end_day: date  # exclusive
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    as_of: datetime


@dataclass(frozen=True)
class SetupInput:
    """One contract's side of a benchmark: its contacts frame and its costs of the month."""

    contract: Contract
    contacts: pl.DataFrame  # the columns of feed_repo.contacts_frame
    costs: Sequence[Any] = ()  # rows with .amount (Decimal) and .currency


def load_benchmark_spec(contracts_dir: Path, activity: str) -> BenchmarkSpec | None:
    """`contracts_dir/benchmark.yaml` when it exists and is about `activity`, else None.

    Raises ContractInvalid (FILE:LINE:COL problems) when the file is not a valid benchmark.
    """
    path = contracts_dir / "benchmark.yaml"
    if not path.is_file():
        return None
    from slaengine.adapters.yaml.contract import load_benchmark_file

    spec = load_benchmark_file(path)
    return spec if spec.activity == activity else None


def run_benchmark(
    engine: Engine,
    activity: str,
    period: str,
    *,
    as_of: datetime,
    benchmark_spec: BenchmarkSpec | None = None,
) -> BenchmarkResult:
    """Benchmark every contract of `activity` in force during `period` (YYYY-MM).

    Raises ContractNotFound when no contract of the activity is in force that month, and
    EvaluationError when `benchmark_spec` is about another activity or the period is bad.
    """
    from slaengine.adapters.storage.feed_repo import contacts_frame, costs

    contracts = _contracts_of(engine, activity, period)
    spec = benchmark_spec or default_benchmark(activity)
    scope = _scope(spec, contracts[0], period, as_of)
    inputs = [
        SetupInput(
            c, contacts_frame(engine, c.id, scope.start, scope.end), costs(engine, c.id, period)
        )
        for c in contracts
    ]
    return compare_setups(activity, period, inputs, as_of=as_of, benchmark_spec=spec)


def compare_setups(
    activity: str,
    period: str,
    inputs: Sequence[SetupInput],
    *,
    as_of: datetime,
    benchmark_spec: BenchmarkSpec | None = None,
) -> BenchmarkResult:
    """The benchmark of the given contracts: in-house first, then outsourced, then mixed.

    Raises EvaluationError when there is nothing to compare or the definitions are for
    another activity.
    """
    if not inputs:
        raise EvaluationError(f"no contract of activity {activity!r} to benchmark in {period}")
    spec = benchmark_spec or default_benchmark(activity)
    if spec.activity != activity:
        raise EvaluationError(
            f"benchmark definitions are for activity {spec.activity!r}, not {activity!r}"
        )
    scope = _scope(spec, inputs[0].contract, period, as_of)
    ordered = sorted(
        inputs, key=lambda i: (i.contract.provider.sourcing != "in-house", i.contract.id)
    )
    costs = [_costs_of(item.contract, item.costs, period) for item in ordered]
    setups = [
        _setup(
            i.contract.id, i.contract.provider.sourcing, (i.contract.id,), i.contacts, cost, scope
        )
        for i, cost in zip(ordered, costs, strict=True)
    ]
    mixed_frame = pl.concat([item.contacts for item in ordered], how="vertical_relaxed")
    mixed_costs = _total_costs(costs)
    names = tuple(item.contract.id for item in ordered)
    setups.append(_setup(MIXED, "mixed", names, mixed_frame, mixed_costs, scope))
    empty = [f"{s.name}: no contacts stored for {period}" for s in setups if not s.contacts]
    notes = (*empty, *(cost.note for cost in [*costs, mixed_costs] if cost.note))
    return BenchmarkResult(
        activity=activity,
        period=period,
        setups=tuple(setups),
        as_of=as_of,
        objectives=spec.objectives,
        notes=tuple(dict.fromkeys(notes)),
    )


def _contracts_of(engine: Engine, activity: str, period: str) -> list[Contract]:
    """Every contract of the activity in force on the first or the last day of the month."""
    from slaengine.services.contracts import contracts_for_activity

    first, end = month_days(period)
    found: dict[str, Contract] = {}
    for day in (first, end - timedelta(days=1)):
        for stored in contracts_for_activity(engine, activity, day):
            found.setdefault(stored.contract.id, stored.contract)
    if not found:
        raise ContractNotFound(
            f"no contract of activity {activity!r} is in force in {period}"
            " (load contracts with `slaengine contract load`)"
        )
    return sorted(found.values(), key=lambda contract: contract.id)


def month_days(period: str) -> tuple[date, date]:
    """First local day of YYYY-MM and the first day of the next month; raises EvaluationError."""
    try:
        first = datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise EvaluationError(f"expected a period as YYYY-MM, found {period!r}") from None
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def _scope(spec: BenchmarkSpec, first: Contract, period: str, as_of: datetime) -> _Scope:
    from slaengine.adapters.compute.tally import benchmark_calendars

    zone = ZoneInfo(spec.timezone or first.timezone)
    first_day, end_day = month_days(period)
    start = datetime(first_day.year, first_day.month, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(end_day.year, end_day.month, 1, tzinfo=zone).astimezone(UTC)
    calendars = benchmark_calendars(spec.calendars, zone)
    return _Scope(spec, zone, calendars, first_day, end_day, start, end, as_of)


def _setup(
    name: str,
    sourcing: SetupSourcing,
    contracts: tuple[str, ...],
    frame: pl.DataFrame,
    costs: _Costs,
    scope: _Scope,
) -> SetupResult:
    in_period = _arrived_in(frame, scope)
    answered = int(in_period["answered_at"].is_not_null().sum())
    kpis = _figures(frame, scope)
    for objective in scope.spec.objectives:
        if objective.kpi == "cost_per_contact":
            kpis[objective.id] = cost_figure(costs.amount, answered)
    return SetupResult(
        name=name,
        sourcing=sourcing,
        contracts=contracts,
        contacts=in_period.height,
        channel_mix=_channel_mix(in_period),
        kpis=kpis,
        cost_per_contact=cost_per_contact(costs.amount, answered),
        answered=answered,
        cost=costs.amount,
        currency=costs.currency,
    )


def _arrived_in(frame: pl.DataFrame, scope: _Scope) -> pl.DataFrame:
    arrived = pl.col("arrived_at")
    return frame.filter((arrived >= scope.start) & (arrived < scope.end))


def _channel_mix(frame: pl.DataFrame) -> dict[str, int]:
    counts = frame.group_by("channel").len()
    found = {str(row[0]): int(row[1]) for row in counts.iter_rows()}
    return {channel: found[channel] for channel in CHANNELS if channel in found}


def _figures(frame: pl.DataFrame, scope: _Scope) -> dict[str, KpiFigure]:
    """Every benchmark objective's figure, the contacts grouped once for all of them."""
    from slaengine.adapters.compute.tally import daily_counts, group_contacts
    from slaengine.domain.evaluation.kpis import kpi_figures, sum_counts

    tallied = [o for o in scope.spec.objectives if o.kpi != "cost_per_contact"]
    try:
        grouped = group_contacts(frame, tallied, scope.zone, scope.calendars, as_of=scope.as_of)
    except ValueError as error:  # e.g. a calendar the benchmark definitions do not define
        raise EvaluationError(f"benchmark objectives: {error}") from None
    daily = daily_counts(grouped)
    figures: dict[str, KpiFigure] = {}
    for objective in scope.spec.objectives:
        if objective.kpi == "cost_per_contact":
            figures[objective.id] = KpiFigure(None, None, None)
            continue
        by_day = daily[objective.id]
        days = [c for day, c in by_day.items() if scope.first_day <= day < scope.end_day]
        value, numerator, denominator = kpi_figures(objective, sum_counts(days))
        figures[objective.id] = KpiFigure(
            None if value is None else float(value), numerator, denominator, objective.kpi
        )
    return figures


def _costs_of(contract: Contract, rows: Sequence[Any], period: str) -> _Costs:
    """The month's costs of one contract: their sum, in their one currency."""
    if not rows:
        return _Costs(None, None, f"{contract.id}: no costs for {period}")
    currencies = sorted({str(row.currency) for row in rows})
    if len(currencies) > 1:
        note = f"{contract.id}: costs of {period} mix currencies ({', '.join(currencies)})"
        return _Costs(None, None, note)
    return _Costs(sum((Decimal(row.amount) for row in rows), Decimal("0")), currencies[0])


def _total_costs(parts: Iterable[_Costs]) -> _Costs:
    """The mixed setup's costs: every part's, only when all are known in one currency."""
    parts = list(parts)
    currencies = {part.currency for part in parts}
    if any(part.amount is None for part in parts):
        return _Costs(None, None, "mixed: cost per contact needs the costs of every setup")
    if len(currencies) > 1:
        return _Costs(None, None, "mixed: setups are paid in different currencies")
    total = sum((part.amount for part in parts if part.amount is not None), Decimal("0"))
    return _Costs(total, next(iter(currencies)))
