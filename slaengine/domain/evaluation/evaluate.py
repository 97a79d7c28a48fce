"""Evaluation of one contract version over one month (SPEC section 1): windows, statuses, credits.

Inputs are daily Counts per objective (already tallied with the exclusions applied), so this
module only adds up counts and compares exact figures with targets. Conventions:

- Periods, days and weeks are local to the contract's zone. Week windows are ISO weeks
  (Monday to Sunday) clipped to the month: a month starting on a Thursday has a first week
  window of four days. Day windows are local days, so a DST day is 23 or 25 hours long.
- A window is `excused` when every contact of its channels was excluded, `not_determined`
  when its volume is under `min_volume`, when nothing counts (no contact, nothing due) or the
  data cannot give the figure (`undetermined`), otherwise `met` or `breached`.
- A day/week objective is `breached` when more windows are breached than `allowed_misses`
  (default 0), `met` when at least one window is determined and the misses are allowed,
  `excused` when every window is excused, `not_determined` otherwise. Its value is the month's.
- Month to date (as_of before the period's end): windows starting after as_of are left out,
  and an objective failing so far is flagged at_risk with what it would take to recover.
- Provider-reported figures differing from ours by more than rounding (half a unit of the
  last shown digit: 0.0005 for fractions, 0.5 s, 0.5 nps point) are flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction

from slaengine.domain.contract.model import Contract, Objective
from slaengine.domain.contract.periods import Period, instant_problem, window_bounds
from slaengine.domain.evaluation.early_warning import at_risk_reason, provider_differs
from slaengine.domain.evaluation.kpis import Counts, kpi_figures, kpi_volume, sum_counts
from slaengine.domain.evaluation.results import (
    Evaluation,
    ExcludedDay,
    ObjectiveResult,
    Status,
    WindowResult,
)
from slaengine.domain.money.credits import (
    allocate_credits,
    chronic_failures,
    credit_summary,
    earned_back,
)
from slaengine.domain.money.improvement import targets_in_force, with_targets
from slaengine.domain.money.incentives import earn_incentives
from slaengine.errors import EvaluationError


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def evaluate_window(
    objective: Objective,
    counts: Counts,
    start: date,
    end: date,
    undetermined: str | None = None,
) -> WindowResult:
    """The figures and status of one window from its summed counts."""
    value, numerator, denominator = kpi_figures(objective, counts)
    volume = kpi_volume(objective, counts)
    status, reason = _status(objective, counts, value, volume, undetermined)
    if status == "not_determined" and undetermined:
        value, numerator, denominator = None, None, None
    return WindowResult(start, end, status, _float(value), numerator, denominator, volume, reason)


def _status(
    objective: Objective,
    counts: Counts,
    value: Fraction | None,
    volume: int,
    undetermined: str | None,
) -> tuple[Status, str | None]:
    if undetermined:
        return "not_determined", undetermined
    if counts.offered == 0 and counts.excluded > 0:
        return "excused", f"every contact excluded ({counts.excluded})"
    if objective.min_volume is not None and volume < objective.min_volume:
        return "not_determined", f"volume {volume} under min_volume {objective.min_volume}"
    if value is None:
        if counts.pending:
            return "not_determined", f"nothing due yet ({counts.pending} pending)"
        return "not_determined", "no contacts in scope"
    if objective.target is None:
        return "not_determined", "the objective has no target"
    return ("met", None) if objective.target.is_met_by(value) else ("breached", None)


def _period_status(
    windows: Sequence[WindowResult], breached: int, allowed: int
) -> tuple[Status, str | None]:
    if breached > allowed:
        return "breached", f"{breached} windows breached, {allowed} allowed"
    if any(window.status in ("met", "breached") for window in windows):
        return "met", None
    if windows and all(window.status == "excused" for window in windows):
        return "excused", "every window excused"
    return "not_determined", "no window could be determined"


def evaluate_objective(
    objective: Objective,
    daily: Mapping[date, Counts],
    period: Period,
    *,
    as_of: datetime,
    undetermined: str | None = None,
    cost: Decimal | None = None,
) -> ObjectiveResult:
    """One objective over the period (month to date when as_of is inside it)."""
    bounds = [
        (start, end)
        for start, end in window_bounds(objective.window, period.first, period.end)
        if start == period.first or datetime.combine(start, time(), period.zone) < as_of
    ]
    in_period = {day: counts for day, counts in daily.items() if period.first <= day < period.end}
    if objective.kpi == "cost_per_contact":
        # costs are monthly: a cost per contact has one window, the month, whatever `window` says
        undetermined = undetermined or (None if cost is not None else "no costs for the month")
        in_period = _with_cost(in_period, cost or Decimal("0"), period.first)
        bounds = [(period.first, period.end)]
    windows = tuple(
        evaluate_window(
            objective,
            sum_counts(counts for day, counts in in_period.items() if start <= day < end),
            start,
            end,
            undetermined,
        )
        for start, end in bounds
    )
    total = sum_counts(in_period.values())
    month = evaluate_window(objective, total, period.first, period.end, undetermined)
    return _objective_result(objective, windows, month, total)


def _with_cost(daily: dict[date, Counts], cost: Decimal, first: date) -> dict[date, Counts]:
    """Cost is a month figure: carried on the first day so that the month's sum has it."""
    result = dict(daily)
    result[first] = result.get(first, Counts()) + Counts(cost=cost)
    return result


def _objective_result(
    objective: Objective, windows: tuple[WindowResult, ...], month: WindowResult, total: Counts
) -> ObjectiveResult:
    allowed = objective.allowed_misses or 0
    breached = sum(1 for window in windows if window.status == "breached")
    if objective.window == "month":
        status, reason = month.status, month.reason
    else:
        status, reason = _period_status(windows, breached, allowed)
    target = objective.target
    return ObjectiveResult(
        objective_id=objective.id,
        kpi=objective.kpi,
        level=objective.level,
        channels=tuple(objective.channels),
        status=status,
        value=month.value,
        target=str(target) if target else None,
        target_value=float(target.value) if target else None,
        numerator=month.numerator,
        denominator=month.denominator,
        volume=month.volume,
        windows=windows,
        windows_breached=breached,
        allowed_misses=allowed,
        reason=reason,
        excluded_contacts=total.excluded,
        pending_contacts=total.pending,
    )


# ------------------------------------------------------------------ the month


def started_period(contract: Contract, period: str, as_of: datetime) -> Period:
    """The month `period` of `contract`, once it has started at `as_of`.

    Raises EvaluationError when as_of is naive, outside what the engine computes, or before
    the month starts (naming that month).
    """
    if as_of.tzinfo is None:
        raise EvaluationError("as_of must be an aware datetime (with a UTC offset)")
    if problem := instant_problem(as_of):
        raise EvaluationError(problem)
    month = Period.of(period, contract)
    if as_of < month.start:
        raise EvaluationError(
            f"period {period} starts {month.start.astimezone(contract.zone).isoformat()},"
            f" after as_of {as_of.isoformat()}: nothing to evaluate yet"
        )
    return month


def evaluate(
    contract: Contract,
    period: str,
    daily: Mapping[str, Mapping[date, Counts]],
    *,
    as_of: datetime,
    excluded_days: Iterable[ExcludedDay] = (),
    undetermined: Mapping[str, str] | None = None,
    costs: Mapping[str, Decimal] | None = None,
    history: Sequence[Evaluation] = (),
    provider_reported: Mapping[str, float | None] | None = None,
    input_hashes: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Evaluation:
    """Every objective of `contract` over `period` as of `as_of`, with credits.

    `daily` maps objective id -> local day -> Counts (objectives absent: no contacts);
    `undetermined` maps objective id -> why the data cannot give its figure; `costs` maps
    a cost_per_contact objective id -> the month's cost (absent: not_determined); `history`
    holds evaluations of earlier months (earn-back, chronic failure). Raises EvaluationError
    when as_of is naive or before the period starts.
    """
    month = started_period(contract, period, as_of)
    month_to_date = as_of < month.stop
    raised = targets_in_force(contract, period, history)
    contract, notes = with_targets(contract, raised), (*notes, *(t.reason for t in raised))
    reasons = dict(undetermined or {})
    reported = dict(provider_reported or {})
    results = []
    for objective in contract.objectives:
        result = evaluate_objective(
            objective,
            daily.get(objective.id, {}),
            month,
            as_of=as_of,
            undetermined=reasons.get(objective.id),
            cost=(costs or {}).get(objective.id),
        )
        result = _with_warning_and_provider(
            objective, result, month, as_of, month_to_date, reported
        )
        results.append(result)
    return _with_credits(
        contract,
        month,
        as_of,
        month_to_date,
        results,
        history,
        tuple(excluded_days),
        tuple(input_hashes),
        tuple(notes),
    )


def _with_warning_and_provider(
    objective: Objective,
    result: ObjectiveResult,
    period: Period,
    as_of: datetime,
    month_to_date: bool,
    reported: Mapping[str, float | None],
) -> ObjectiveResult:
    if month_to_date:
        reason = at_risk_reason(objective, result, period, as_of)
        result = replace(result, at_risk=reason is not None, at_risk_reason=reason)
    if objective.id in reported:
        theirs = reported[objective.id]
        result = replace(
            result,
            provider_reported_value=theirs,
            provider_differs=provider_differs(objective.kpi, result.value, theirs),
        )
    return result


def _with_credits(
    contract: Contract,
    period: Period,
    as_of: datetime,
    month_to_date: bool,
    results: list[ObjectiveResult],
    history: Sequence[Evaluation],
    excluded_days: tuple[ExcludedDay, ...],
    input_hashes: tuple[str, ...],
    notes: tuple[str, ...],
) -> Evaluation:
    statuses = {result.objective_id: result.status for result in results}
    allocation = allocate_credits(contract, statuses)
    credit_history: dict[str, dict[str, tuple[Status, Decimal]]] = {
        old.period: {r.objective_id: (r.status, r.credit) for r in old.objectives}
        for old in history
        if old.period < period.name
    }
    credit_history[period.name] = {
        key: (status, allocation.per_objective.get(key, Decimal("0.00")))
        for key, status in statuses.items()
    }
    returned = earned_back(contract, period.name, credit_history)
    status_history = {
        month: {key: entry[0] for key, entry in entries.items()}
        for month, entries in credit_history.items()
    }
    flags = chronic_failures(contract, period.name, status_history)
    final = tuple(
        replace(
            result,
            credit=allocation.per_objective.get(result.objective_id, Decimal("0.00")),
            earned_back=returned.get(result.objective_id, Decimal("0.00")),
        )
        for result in results
    )
    extra = ("month to date: statuses are provisional",) if month_to_date else ()
    summary = credit_summary(contract, allocation, returned)
    return Evaluation(
        contract_id=contract.id,
        contract_version=contract.version,
        provider_id=contract.provider.id,
        period=period.name,
        as_of=as_of.astimezone(UTC),
        month_to_date=month_to_date,
        objectives=final,
        credits=summary,
        chronic_failures=flags,
        excluded_days=excluded_days,
        input_hashes=input_hashes,
        notes=(*extra, *notes),
        incentives=earn_incentives(contract, final, summary),
    )
