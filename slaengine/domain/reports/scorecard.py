"""What a scorecard says: the monthly provider scorecard as plain, immutable data objects.

The PDF and CSV adapters only lay these out. Builders are pure: they take the contract, the
evaluation, its history and what the feeds and benchmark said, and never read anything.
Every displayed figure is already formatted here (see `report_text`), so that tests can check
exactly what a reader will see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from slaengine.domain.contract.model import Contract, Objective
from slaengine.domain.contract.periods import shift_period
from slaengine.domain.evaluation.benchmark import BenchmarkResult
from slaengine.domain.evaluation.results import Evaluation, ObjectiveResult, Status
from slaengine.domain.reports.benchmark import BenchmarkTable, build_benchmark_table
from slaengine.domain.reports.engine_words import engine_words
from slaengine.domain.reports.incentives import IncentivesView, incentives_view, target_note
from slaengine.domain.reports.register import (
    BreachEntry,
    DataQuality,
    FeedFileInfo,
    WindowLine,
    breach_register,
    data_quality,
    window_lines,
)
from slaengine.domain.reports.relief import ReliefLine
from slaengine.domain.reports.text import (
    STATUS_SYMBOLS,
    channels_text,
    describe_objective,
    format_count,
    format_delta,
    format_money,
    format_period,
    format_target,
    format_value,
    kpi_unit,
    level_label,
    status_label,
    window_words,
)
from slaengine.i18n import _, ngettext

TREND_MONTHS = 12


@dataclass(frozen=True)
class StatusCounts:
    met: int = 0
    breached: int = 0
    not_determined: int = 0
    excused: int = 0


@dataclass(frozen=True)
class Trend:
    """This month against the previous one: `up`, `down` or `same`, and the signed delta."""

    direction: str
    delta: str
    better: bool | None

    @property
    def text(self) -> str:
        arrow = {"up": "▲", "down": "▼", "same": "="}[self.direction]
        return f"{arrow} {self.delta}" if self.direction != "same" else "= " + _("same")


@dataclass(frozen=True)
class ObjectiveRow:
    """One line of the objectives table."""

    objective_id: str
    level: str
    channels: str
    kpi: str
    definition: str
    window: str
    target: str
    actual: str
    numerator: str
    denominator: str
    status: Status
    status_text: str
    symbol: str
    trend: Trend | None
    credit: str
    reason: str | None
    value: float | None
    provider_reported: str | None = None
    provider_differs: bool = False
    level_text: str = ""
    figures: str = ""
    why: str | None = None
    numerator_value: int | Decimal | None = None
    denominator_value: int | Decimal | None = None
    credit_amount: Decimal | None = None
    trend_delta: float | None = None
    target_note: str | None = None  # target moved by continuous improvement: in force and why

    @property
    def trend_text(self) -> str:
        return self.trend.text if self.trend else "–"


@dataclass(frozen=True)
class TrendPoint:
    period: str
    value: float | None
    status: Status | None


@dataclass(frozen=True)
class TrendSeries:
    """Up to 12 months of one critical objective, oldest first, with its target."""

    objective_id: str
    kpi: str
    target: str
    target_value: float | None
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class MonthFigures:
    """One evaluated month of a contract, for the portfolio's 12-month chart."""

    period: str
    net_credits: Decimal
    critical_met: int
    critical_total: int


@dataclass(frozen=True)
class DailyPoint:
    day: date
    value: float | None
    status: Status
    volume: int


@dataclass(frozen=True)
class DailySeries:
    """The windows of a day-window objective; `missed` counts the breached days."""

    objective_id: str
    kpi: str
    target: str
    target_value: float | None
    points: tuple[DailyPoint, ...]
    missed: int
    allowed_misses: int


@dataclass(frozen=True)
class Scorecard:
    """The monthly provider scorecard (issue 5): page one answers 'is the contract honoured'."""

    contract_id: str
    contract_version: int
    title: str
    provider_id: str
    provider_name: str
    sourcing: str
    activity: str
    period: str
    as_of: datetime
    month_to_date: bool
    currency: str
    counts: StatusCounts
    at_risk: Decimal
    credits_owed: Decimal
    credits_uncapped: Decimal
    credits_capped: bool
    earned_back: Decimal
    net_credits: Decimal
    chronic_failures: tuple[str, ...]
    restatements: tuple[str, ...]
    notes: tuple[str, ...]
    rows: tuple[ObjectiveRow, ...]
    trends: tuple[TrendSeries, ...]
    daily: tuple[DailySeries, ...]
    channel_volumes: tuple[tuple[str, int], ...]
    breaches: tuple[BreachEntry, ...]
    quality: DataQuality
    benchmark: BenchmarkTable | None
    cost_per_contact: str | None
    lifecycle: str = ""  # provisional / final / restated line shown on every page
    lifecycle_kind: str = "provisional"  # provisional | final | restated (the evaluation's)
    zone: tzinfo | None = None
    has_credits: bool = True
    months: tuple[MonthFigures, ...] = ()
    weeks: tuple[tuple[str, tuple[WindowLine, ...]], ...] = ()
    incentives: IncentivesView | None = None  # None: the contract has no incentives block
    relief: tuple[ReliefLine, ...] = ()  # the month's relief requests (SPEC section 7)
    no_data: str | None = None  # "no data received for …": no contacts or intervals arrived

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.currency)

    @property
    def previous_period(self) -> str:
        return shift_period(self.period, -1)


def count_statuses(objectives: Sequence[ObjectiveResult]) -> StatusCounts:
    """How many objectives ended in each status."""
    found = [objective.status for objective in objectives]
    return StatusCounts(
        met=found.count("met"),
        breached=found.count("breached"),
        not_determined=found.count("not_determined"),
        excused=found.count("excused"),
    )


def trend_against(current: ObjectiveResult, previous: ObjectiveResult | None) -> Trend | None:
    """Direction and delta of the value against last month; None when either has no value."""
    if previous is None or current.value is None or previous.value is None:
        return None
    delta = current.value - previous.value
    text = format_delta(delta, current.kpi)
    if re.sub(r"[^0-9]", "", text).strip("0") == "":
        return Trend("same", text.replace("-", "+"), None)
    direction = "up" if delta > 0 else "down"
    return Trend(direction, text, _is_better(current, delta))


def _is_better(result: ObjectiveResult, delta: float) -> bool | None:
    target = (result.target or "").strip()
    if target.startswith(">"):
        return delta > 0
    if target.startswith("<"):
        return delta < 0
    return None


def _objective_of(contract: Contract, objective_id: str) -> Objective | None:
    try:
        return contract.objective(objective_id)
    except KeyError:
        return None


def objective_row(
    contract: Contract, result: ObjectiveResult, previous: ObjectiveResult | None
) -> ObjectiveRow:
    """One objectives-table line: definition in words, figures formatted, trend computed."""
    objective = _objective_of(contract, result.objective_id)
    return ObjectiveRow(
        objective_id=result.objective_id,
        level=result.level,
        channels=channels_text(result.channels),
        kpi=result.kpi,
        definition=describe_objective(objective) if objective else result.kpi,
        window=window_words(objective) if objective else _("month"),
        target=format_target(result.target, result.target_value, result.kpi),
        actual=format_value(result.value, result.kpi),
        numerator=format_count(result.numerator),
        denominator=format_count(result.denominator),
        status=result.status,
        status_text=status_label(result.status),
        symbol=STATUS_SYMBOLS[result.status],
        trend=trend_against(result, previous),
        credit=format_money(result.credit, contract.currency),
        reason=engine_words(result.reason),
        value=result.value,
        provider_reported=(
            format_value(result.provider_reported_value, result.kpi)
            if result.provider_reported_value is not None
            else None
        ),
        provider_differs=bool(getattr(result, "provider_differs", False)),
        level_text=level_label(result.level),
        figures=figures_text(result),
        why=status_why(result),
        numerator_value=result.numerator,
        denominator_value=result.denominator,
        credit_amount=result.credit,
        trend_delta=_delta_shown(result, previous),
        target_note=target_note(objective, result, contract),
    )


def _delta_shown(current: ObjectiveResult, previous: ObjectiveResult | None) -> float | None:
    """This month minus last month in the value's display unit (points of percent)."""
    if previous is None or current.value is None or previous.value is None:
        return None
    scale = 100 if kpi_unit(current.kpi) == "fraction" else 1
    return round((current.value - previous.value) * scale, 6)


def figures_text(result: ObjectiveResult) -> str:
    """`2 997 / 3 912` for ratios; `3 732 answered` for averages; `391 answers` for nps."""
    if result.denominator is None:
        return "–"
    unit = kpi_unit(result.kpi)
    count = int(result.denominator)
    if unit == "seconds":
        return ngettext("{n} answered", "{n} answered", count).format(n=format_count(count))
    if unit == "points":
        return ngettext("{n} answer", "{n} answers", count).format(n=format_count(count))
    return f"{format_count(result.numerator)} / {format_count(result.denominator)}"


def status_why(result: ObjectiveResult) -> str | None:
    """Why the status is what it is when the value alone does not say it (windowed objectives:
    `8 days missed, 2 allowed`); the evaluation's own reason otherwise."""
    windowed = len(result.windows) > 1
    if windowed and result.status in ("met", "breached"):
        days = all((w.end - w.start).days == 1 for w in result.windows)
        missed = result.windows_breached
        text = (
            ngettext("{n} day missed", "{n} days missed", missed)
            if days
            else ngettext("{n} week missed", "{n} weeks missed", missed)
        )
        allowed = ngettext("{n} allowed", "{n} allowed", result.allowed_misses)
        return f"{text.format(n=missed)}, {allowed.format(n=result.allowed_misses)}"
    return engine_words(result.reason)


def _by_period(history: Sequence[Evaluation]) -> dict[str, Evaluation]:
    return {evaluation.period: evaluation for evaluation in history}


def _result_in(evaluation: Evaluation | None, objective_id: str) -> ObjectiveResult | None:
    if evaluation is None:
        return None
    return next((r for r in evaluation.objectives if r.objective_id == objective_id), None)


def trend_series(
    evaluation: Evaluation, history: Sequence[Evaluation], months: int = TREND_MONTHS
) -> tuple[TrendSeries, ...]:
    """Up to 12 months ending at the evaluated period for each critical objective, from the
    first month with a value (later gaps are None)."""
    known = _by_period(history) | {evaluation.period: evaluation}
    periods = [shift_period(evaluation.period, -back) for back in range(months - 1, -1, -1)]
    series = []
    for result in evaluation.objectives:
        if result.level != "critical":
            continue
        points = []
        for period in periods:
            past = _result_in(known.get(period), result.objective_id)
            points.append(
                TrendPoint(period, past.value if past else None, past.status if past else None)
            )
        series.append(
            TrendSeries(
                result.objective_id,
                result.kpi,
                format_target(result.target, result.target_value, result.kpi),
                result.target_value,
                _from_first_data(points),
            )
        )
    return tuple(series)


def _from_first_data(points: Sequence[TrendPoint]) -> tuple[TrendPoint, ...]:
    """The months from the first one with a value (the last month always stays)."""
    first = next((i for i, point in enumerate(points) if point.value is not None), None)
    return tuple(points[first if first is not None else len(points) - 1 :])


def daily_series(evaluation: Evaluation) -> tuple[DailySeries, ...]:
    """Every day-window objective with its daily values and how many days missed."""
    found = []
    for result in evaluation.objectives:
        windows = [w for w in result.windows if (w.end - w.start).days == 1]
        if not windows or len(windows) != len(result.windows):
            continue
        points = tuple(DailyPoint(w.start, w.value, w.status, w.volume) for w in windows)
        missed = sum(1 for w in windows if w.status == "breached")
        found.append(
            DailySeries(
                result.objective_id,
                result.kpi,
                format_target(result.target, result.target_value, result.kpi),
                result.target_value,
                points,
                missed,
                result.allowed_misses,
            )
        )
    return tuple(found)


def _chronic_text(evaluation: Evaluation) -> tuple[str, ...]:
    return tuple(
        _(
            "{objective}: breached {breaches} times within {months} months ({periods}):"
            " termination right"
        ).format(
            objective=flag.objective_id,
            breaches=flag.breaches,
            months=flag.within_months,
            periods=", ".join(format_period(p, short=True) for p in flag.breached_periods),
        )
        for flag in evaluation.chronic_failures
    )


def _restatement_text(evaluation: Evaluation, restatements: Sequence[str]) -> tuple[str, ...]:
    lines = list(restatements)
    if evaluation.restated:
        lines.insert(0, _("this final result restates an earlier one: its inputs changed"))
    return tuple(dict.fromkeys(lines))


def _channel_volumes(
    contract: Contract,
    evaluation: Evaluation,
    given: Mapping[str, int] | None,
    benchmark: BenchmarkResult | None,
) -> tuple[tuple[str, int], ...]:
    if given is None and benchmark is not None:
        own = next((s for s in benchmark.setups if s.contracts == (contract.id,)), None)
        given = own.channel_mix if own else None
    if given is None:
        given = _single_channel_volumes(evaluation)
    return tuple((channel, count) for channel, count in (given or {}).items() if count)


def _single_channel_volumes(evaluation: Evaluation) -> dict[str, int]:
    """Without a benchmark: the largest volume of the objectives about one channel only."""
    found: dict[str, int] = {}
    for result in evaluation.objectives:
        if len(result.channels) == 1:
            channel = result.channels[0]
            found[channel] = max(found.get(channel, 0), result.volume)
    return found


def build_scorecard(
    contract: Contract,
    evaluation: Evaluation,
    *,
    history: Sequence[Evaluation] = (),
    feeds: Sequence[FeedFileInfo] = (),
    benchmark: BenchmarkResult | None = None,
    restatements: Sequence[str] = (),
    channel_volumes: Mapping[str, int] | None = None,
    closed_days: Mapping[date, str] | None = None,
) -> Scorecard:
    """The scorecard of `evaluation` (of `contract`), with trends taken from `history`.

    `history` holds earlier evaluations of the same contract (any order; the evaluated period
    itself is ignored there). `channel_volumes` defaults to the contract's channel mix in
    `benchmark`, else to the largest volume among single-channel objectives; `closed_days`
    are not counted as missing days.
    """
    previous = _by_period(history).get(shift_period(evaluation.period, -1))
    credits = evaluation.credits
    table = build_benchmark_table(benchmark, contract.id) if benchmark else None
    return Scorecard(
        contract_id=contract.id,
        contract_version=evaluation.contract_version,
        title=contract.title,
        provider_id=contract.provider.id,
        provider_name=contract.provider.name,
        sourcing=contract.provider.sourcing,
        activity=contract.activity,
        period=evaluation.period,
        as_of=evaluation.as_of,
        month_to_date=evaluation.month_to_date,
        currency=credits.currency,
        counts=count_statuses(evaluation.objectives),
        at_risk=credits.at_risk,
        credits_owed=credits.total,
        credits_uncapped=credits.uncapped,
        credits_capped=credits.capped,
        earned_back=credits.earned_back,
        net_credits=credits.net,
        chronic_failures=_chronic_text(evaluation),
        restatements=_restatement_text(evaluation, restatements),
        notes=tuple(str(engine_words(note)) for note in evaluation.notes),
        rows=tuple(
            objective_row(contract, r, _result_in(previous, r.objective_id))
            for r in evaluation.objectives
        ),
        trends=trend_series(evaluation, history),
        daily=daily_series(evaluation),
        channel_volumes=_channel_volumes(contract, evaluation, channel_volumes, benchmark),
        breaches=breach_register(contract, evaluation),
        quality=data_quality(evaluation, feeds, closed_days),
        benchmark=table,
        cost_per_contact=table.own_cost if table else None,
        zone=contract.zone,
        has_credits=_has_credits(contract, evaluation),
        months=month_figures(evaluation, history),
        weeks=week_windows(evaluation),
        incentives=incentives_view(contract, evaluation),
    )


def week_windows(evaluation: Evaluation) -> tuple[tuple[str, tuple[WindowLine, ...]], ...]:
    """Each week-window objective with its weeks: counts, value and status of every week."""
    return tuple(
        (result.objective_id, window_lines(result))
        for result in evaluation.objectives
        if len(result.windows) > 1
        and all(1 <= (w.end - w.start).days <= 7 for w in result.windows)
        and any((w.end - w.start).days > 1 for w in result.windows)  # weeks cut by the month
    )


def month_figures(
    evaluation: Evaluation, history: Sequence[Evaluation], months: int = TREND_MONTHS
) -> tuple[MonthFigures, ...]:
    """Net credits and critical objectives met of each evaluated month among the last 12,
    oldest first. Months without an evaluation, or whose every objective is not determined
    (no data yet), are left out; the share counts only critical objectives that were judged
    (met or breached), so a month without data never shows as 0 % met."""
    known = _by_period(history) | {evaluation.period: evaluation}
    periods = [shift_period(evaluation.period, -back) for back in range(months - 1, -1, -1)]
    found = []
    for period in periods:
        past = known.get(period)
        if past is None or all(r.status == "not_determined" for r in past.objectives):
            continue
        judged = [r for r in past.objectives if r.level == "critical" and r.status in _JUDGED]
        met = sum(1 for r in judged if r.status == "met")
        found.append(MonthFigures(period, past.credits.net, met, len(judged)))
    return tuple(found)


_JUDGED = ("met", "breached")


def _has_credits(contract: Contract, evaluation: Evaluation) -> bool:
    """False when the contract puts nothing at risk and no objective carries a credit."""
    if evaluation.credits.at_risk or evaluation.credits.total:
        return True
    return getattr(contract, "credits", None) is not None
