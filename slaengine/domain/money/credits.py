"""Service credits: allocation, the monthly cap, earn-back and chronic failure (SPEC section 1).

Money is Decimal, rounded half-up to cents. Periods are `YYYY-MM` strings.

- A BREACHED objective with an allocation owes allocation x at-risk amount (each part rounded
  half-up to cents). Every other status (met, not_determined, excused) owes nothing.
- The month's total is capped at the at-risk amount. When capped, each part is reduced in
  proportion to its uncapped amount (largest-remainder rounding: every part is its exact
  proportional share rounded down to the cent, then the cents still missing go one each to
  the parts that lost the largest fractions, ties to the smallest objective id, so that no
  ordering of the input changes a cent),
  so the parts add up exactly to the cap and each is within one cent of its exact share.
- Earn-back: a credit owed in month M for objective X is returned in month M+N
  (N = earn_back.months) when X is `met` in each of months M+1..M+N. A month that is
  not_determined, excused, breached or absent from the history breaks the earn-back.
- Chronic failure: a critical objective breached `breaches` times within any rolling window of
  `within_months` consecutive months ending at or before the period.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from slaengine.domain.contract.periods import parse_period, shift_period
from slaengine.domain.evaluation.results import ChronicFailureFlag, CreditSummary, Status

if TYPE_CHECKING:  # the pydantic models: annotations only
    from slaengine.domain.contract.model import Contract, Credits

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(amount: Decimal) -> Decimal:
    """Round money half-up to cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CreditAllocation:
    """The credits of one month. `per_objective` holds every objective of the contract."""

    per_objective: dict[str, Decimal] = field(default_factory=dict)
    uncapped: Decimal = ZERO
    total: Decimal = ZERO
    capped: bool = False
    at_risk: Decimal = ZERO


def objective_credit(credits: Credits, objective_id: str) -> Decimal:
    """allocation share x at-risk amount, half-up to cents; 0.00 when not allocated."""
    share = credits.allocation.get(objective_id)
    if share is None:
        return ZERO
    return to_cents(share.fraction * credits.at_risk_amount)


def allocate_credits(contract: Contract, statuses: Mapping[str, Status]) -> CreditAllocation:
    """The month's credits from each objective's status; capped at the at-risk amount.

    Objectives missing from `statuses` owe nothing; a status for an objective the contract
    does not have raises ValueError (a caller mistake, never silently dropped).
    """
    ids = [objective.id for objective in contract.objectives]
    unknown = sorted(set(statuses) - set(ids))
    if unknown:
        raise ValueError(f"contract {contract.id} has no objective {', '.join(unknown)}")
    credits = contract.credits
    if credits is None:
        return CreditAllocation({objective_id: ZERO for objective_id in ids})
    owed = {
        objective_id: objective_credit(credits, objective_id)
        if statuses.get(objective_id) == "breached"
        else ZERO
        for objective_id in ids
    }
    uncapped = sum(owed.values(), ZERO)
    cap = credits.at_risk_amount
    if uncapped <= cap:
        return CreditAllocation(owed, uncapped, uncapped, False, cap)
    return CreditAllocation(_scale_to_cap(owed, uncapped, cap), uncapped, cap, True, cap)


def _scale_to_cap(owed: dict[str, Decimal], uncapped: Decimal, cap: Decimal) -> dict[str, Decimal]:
    """Proportional reduction with largest-remainder rounding (see the module docstring)."""
    exact = {
        key: Fraction(amount) * 100 * Fraction(cap) / Fraction(uncapped)
        for key, amount in owed.items()
    }
    cents = {key: math.floor(value) for key, value in exact.items()}
    missing = int(cap * 100) - sum(cents.values())
    order = list(owed)
    by_loss = sorted(order, key=lambda key: (cents[key] - exact[key], key))
    for key in by_loss[:missing]:
        cents[key] += 1
    return {key: (Decimal(cents[key]) / 100).quantize(CENT) for key in order}


def earned_back(
    contract: Contract,
    period: str,
    history: Mapping[str, Mapping[str, tuple[Status, Decimal]]],
) -> dict[str, Decimal]:
    """Credits returned IN `period`: objective id -> amount (only objectives earning back).

    `history` maps period -> objective id -> (status, credit owed that month, i.e. the capped
    `CreditAllocation.per_objective` amount), and must include `period` itself.
    """
    parse_period(period)
    if contract.credits is None or contract.credits.earn_back is None:
        return {}
    months = contract.credits.earn_back.months
    source = history.get(shift_period(period, -months), {})
    returned: dict[str, Decimal] = {}
    for objective in contract.objectives:
        entry = source.get(objective.id)
        if entry is None or entry[1] <= 0:
            continue
        following = (shift_period(period, step - months) for step in range(1, months + 1))
        if all(_status(history, month, objective.id) == "met" for month in following):
            returned[objective.id] = entry[1]
    return returned


def _status(
    history: Mapping[str, Mapping[str, tuple[Status, Decimal]]], period: str, objective_id: str
) -> Status | None:
    entry = history.get(period, {}).get(objective_id)
    return entry[0] if entry is not None else None


def chronic_failures(
    contract: Contract, period: str, history: Mapping[str, Mapping[str, Status]]
) -> tuple[ChronicFailureFlag, ...]:
    """Critical objectives breached `breaches` times in a rolling window ending <= `period`.

    `history` maps period -> objective id -> status and must include `period` itself; months
    after `period` are ignored, absent months count as not breached. `breached_periods` lists
    every breached month that lies in at least one qualifying window, oldest first.
    """
    parse_period(period)
    rule = contract.chronic_failure
    if rule is None:
        return ()
    flags: list[ChronicFailureFlag] = []
    for objective in contract.objectives:
        if objective.level != "critical":
            continue
        breached = sorted(
            month
            for month, statuses in history.items()
            if parse_period(month) <= parse_period(period)
            and statuses.get(objective.id) == "breached"
        )
        flagged = _in_qualifying_windows(breached, rule.breaches, rule.within_months)
        if flagged:
            flags.append(
                ChronicFailureFlag(objective.id, flagged, rule.breaches, rule.within_months)
            )
    return tuple(flags)


def _in_qualifying_windows(breached: list[str], breaches: int, within: int) -> tuple[str, ...]:
    """Breached months belonging to a window of `within` months holding >= `breaches` of them."""
    indexes = [year * 12 + month for year, month in map(parse_period, breached)]
    selected: set[int] = set()
    for first in range(len(indexes)):
        # the smallest window holding `breaches` breaches starts at a breach
        last = first + breaches - 1
        if last < len(indexes) and indexes[last] - indexes[first] < within:
            selected.update(
                position
                for position in range(first, len(indexes))
                if indexes[position] - indexes[first] < within
            )
    return tuple(breached[position] for position in sorted(selected))


def credit_summary(
    contract: Contract,
    allocation: CreditAllocation,
    returned: Mapping[str, Decimal] | None = None,
) -> CreditSummary:
    """The month's CreditSummary: the allocation plus the credits earned back this month."""
    earned = sum((returned or {}).values(), ZERO)
    return CreditSummary(
        currency=contract.currency,
        at_risk=allocation.at_risk,
        uncapped=allocation.uncapped,
        total=allocation.total,
        earned_back=to_cents(earned),
        capped=allocation.capped,
    )
