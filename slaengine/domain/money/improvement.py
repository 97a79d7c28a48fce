"""Continuous improvement: the target in force of each objective, and why (DOMAIN.md).

With `continuous_improvement: {after_months: N, move: halfway}`, an objective's target moves
halfway from the target in force to the average achieved over the last N months when each of
those N consecutive months was met with a figure strictly better than that same target:

- the average is pooled (summed numerators over summed denominators, x 100 for nps), never an
  average of percentages; the new target is rounded towards the old one (to 0.01 % for
  percentages, 0.1 for seconds and numbers), so that it never asks more than halfway;
- a raised target stays in force: the target of month M-1 (as its stored result says) carries
  on when it is at least as strict as the contract's own target, which wins otherwise (a new
  contract version with a stricter target);
- the run of N months starts again after each raise (the N months must share the target);
- only the months given in `history` count: a month missing from it breaks the run and, right
  before the period, ends a carried raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

from slaengine.domain.contract.incentive_rules import at_least_as_strict
from slaengine.domain.contract.model import Contract, Objective
from slaengine.domain.contract.periods import shift_period
from slaengine.domain.contract.units import Target
from slaengine.domain.contract.wording import words
from slaengine.domain.evaluation.results import Evaluation, ObjectiveResult
from slaengine.domain.money.incentives import month_figure

STEP = {"fraction": Decimal("0.0001"), "seconds": Decimal("0.1"), "number": Decimal("0.1")}


@dataclass(frozen=True)
class TargetInForce:
    objective_id: str
    target: Target
    reason: str


def targets_in_force(
    contract: Contract, period: str, history: Sequence[Evaluation]
) -> tuple[TargetInForce, ...]:
    """The objectives whose target differs from the contract's in `period`, with the reason."""
    rule = contract.continuous_improvement
    if rule is None:
        return ()
    by_period = {evaluation.period: evaluation for evaluation in history}
    months = [shift_period(period, -step) for step in range(rule.after_months, 0, -1)]
    found: list[TargetInForce] = []
    for objective in contract.objectives:
        if objective.target is None or (
            rule.objectives is not None and objective.id not in rule.objectives
        ):
            continue
        results = [_result(by_period.get(month), objective.id) for month in months]
        moved = _moved(objective, months, results)
        if moved is not None:
            found.append(moved)
    return tuple(found)


def _result(evaluation: Evaluation | None, objective_id: str) -> ObjectiveResult | None:
    if evaluation is None:
        return None
    return next((r for r in evaluation.objectives if r.objective_id == objective_id), None)


def _target_of(result: ObjectiveResult | None) -> Target | None:
    if result is None or result.target is None:
        return None
    try:
        return Target.parse(result.target)
    except ValueError:
        return None


def _moved(
    objective: Objective, months: list[str], results: list[ObjectiveResult | None]
) -> TargetInForce | None:
    own = objective.target
    assert own is not None
    carried = _target_of(results[-1])
    base = own
    if carried is not None and _same_kind(carried, own) and at_least_as_strict(carried, own):
        base = carried
    if all(_better_than(result, base) for result in results):
        average = _pooled([result for result in results if result is not None], objective.kpi)
        raised = _halfway(base, average)
        if at_least_as_strict(raised, base) and raised != base:
            reason = (
                f"{objective.id}: target raised from {words(base)} to {words(raised)}"
                f" (continuous improvement: {len(months)} consecutive months better than"
                f" {words(base)}, {months[0]}..{months[-1]}, average"
                f" {_shown(average, base)}; moved halfway)"
            )
            return TargetInForce(objective.id, raised, reason)
    if base != own:
        reason = (
            f"{objective.id}: target {words(base)} in force since a continuous-improvement"
            f" raise (contract target {words(own)})"
        )
        return TargetInForce(objective.id, base, reason)
    return None


def _same_kind(first: Target, second: Target) -> bool:
    return first.unit == second.unit and first.higher_is_better == second.higher_is_better


def _better_than(result: ObjectiveResult | None, base: Target) -> bool:
    """Met, against the same target, with a figure strictly better than it."""
    if result is None or result.status != "met" or _target_of(result) != base:
        return False
    figure = month_figure(result)
    if figure is None:
        return False
    return figure > Fraction(base.value) if base.higher_is_better else figure < Fraction(base.value)


def _pooled(results: list[ObjectiveResult], kpi: str) -> Fraction:
    numerator = sum((Fraction(r.numerator or 0) for r in results), Fraction(0))
    denominator = sum((Fraction(r.denominator or 0) for r in results), Fraction(0))
    ratio = numerator / denominator
    return ratio * 100 if kpi == "nps" else ratio


def _halfway(base: Target, average: Fraction) -> Target:
    exact = (Fraction(base.value) + average) / 2
    step = STEP[base.unit]
    value = Decimal(exact.numerator) / Decimal(exact.denominator)
    # towards the old target: never more than halfway
    rounding = ROUND_FLOOR if base.higher_is_better else ROUND_CEILING
    return Target(base.operator, value.quantize(step, rounding=rounding), base.unit)


def _shown(average: Fraction, base: Target) -> str:
    value = Decimal(average.numerator) / Decimal(average.denominator)
    if base.unit == "fraction":
        return f"{(value * 100).quantize(Decimal('0.01'))} %"
    suffix = " s" if base.unit == "seconds" else ""
    return f"{value.quantize(Decimal('0.01'))}{suffix}"


def with_targets(contract: Contract, targets: Sequence[TargetInForce]) -> Contract:
    """The contract with the targets in force replacing its own (no validation: same kinds)."""
    if not targets:
        return contract
    moved = {item.objective_id: item.target for item in targets}
    objectives = tuple(
        objective.model_copy(update={"target": moved[objective.id]})
        if objective.id in moved
        else objective
        for objective in contract.objectives
    )
    return contract.model_copy(update={"objectives": objectives})
