"""Rules of the `incentives` and `continuous_improvement` blocks, each at the offending node.

- every `earn` key names an objective of the contract (with a "did you mean");
- `when` is written in the unit of the objective's target and points the same way, and is at
  least as strict as the target (a bonus is for doing better than the target, never for
  missing it);
- shares add up to 100% at most, the cap is a share of the fee (at most 100%), and a cap needs
  a fee: the `credits.monthly_fee`;
- continuous improvement names existing objectives that have a target.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from slaengine.domain.contract.model import Objective
from slaengine.domain.contract.problems import ContractParts, Problem, did_you_mean, percent_text
from slaengine.domain.contract.units import Target

UNIT_WORDS = {"fraction": "a percentage", "seconds": "seconds", "number": "a plain number"}


def at_least_as_strict(when: Target, target: Target) -> bool:
    """Whether meeting `when` always meets `target` (same unit and direction assumed)."""
    if when.higher_is_better:
        looser = when.value < target.value or (
            when.value == target.value and target.operator == ">" and when.operator == ">="
        )
    else:
        looser = when.value > target.value or (
            when.value == target.value and target.operator == "<" and when.operator == "<="
        )
    return not looser


def incentive_problems(parts: ContractParts) -> list[Problem]:
    """Problems of the incentives block (none when the contract has no incentives)."""
    incentives = parts.incentives
    if incentives is None:
        return []
    problems: list[Problem] = []
    if parts.credits is None:
        problems.append(
            Problem(
                ("incentives",),
                "incentives are a share of the monthly fee: add a credits block with monthly_fee",
                at_key=True,
            )
        )
    if incentives.cap.fraction > 1:
        problems.append(
            Problem(
                ("incentives", "cap"),
                f"cap is a share of the monthly fee: at most 100%, found {incentives.cap}",
            )
        )
    objectives = {objective.id: objective for _, objective in parts.objectives}
    for objective_id, earn in incentives.earn.items():
        at = ("incentives", "earn", objective_id)
        if objective_id not in parts.objective_ids:
            hint = did_you_mean(objective_id, parts.objective_ids)
            problems.append(
                Problem(
                    at,
                    f"incentives name objective {objective_id!r}, which the contract does not"
                    f" define{hint}",
                    at_key=True,
                )
            )
        elif objective_id in objectives:
            problems += [
                Problem((*at, "when"), message)
                for message in _when_fit(objectives[objective_id], earn.when)
            ]
    total = sum((earn.share.fraction for earn in incentives.earn.values()), Decimal(0))
    if total > 1:
        problems.append(
            Problem(
                ("incentives", "earn"),
                f"incentive shares add up to {percent_text(total)}: at most 100% of the cap",
                at_key=True,
            )
        )
    return problems


def _when_fit(objective: Objective, when: Target) -> Iterator[str]:
    target = objective.target
    if target is None:
        return  # the objective's own rule says it has no target
    if when.unit != target.unit:
        yield (
            f"{objective.id} is measured in {UNIT_WORDS[target.unit]} (target {target}):"
            f" write `when` in the same unit, found {when}"
        )
    elif when.higher_is_better != target.higher_is_better:
        better = "higher" if target.higher_is_better else "lower"
        yield (
            f"{objective.id}: `when` {when} points the other way from the target {target}:"
            f" {better} is better"
        )
    elif not at_least_as_strict(when, target):
        yield (
            f"{objective.id}: `when` {when} is looser than the target {target}: an incentive"
            " rewards doing better than the target"
        )


def improvement_problems(parts: ContractParts) -> list[Problem]:
    """Problems of the continuous_improvement block."""
    rule = parts.continuous_improvement
    if rule is None or rule.objectives is None:
        return []
    problems: list[Problem] = []
    objectives = {objective.id: objective for _, objective in parts.objectives}
    for index, objective_id in enumerate(rule.objectives):
        at = ("continuous_improvement", "objectives", index)
        if objective_id not in parts.objective_ids:
            hint = did_you_mean(objective_id, parts.objective_ids)
            problems.append(Problem(at, f"no objective {objective_id!r} in the contract{hint}"))
        elif objective_id in objectives and objectives[objective_id].target is None:
            problems.append(Problem(at, f"objective {objective_id!r} has no target to improve"))
    return problems
