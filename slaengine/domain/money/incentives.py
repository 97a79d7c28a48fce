"""Incentives (the bonus beside the credits' malus) of one month (SPEC sections 1 and 6).

- An objective named under `incentives.earn` earns `share` x cap amount (half-up to cents)
  in a month when it is NOT breached and its month figure meets `when` (compared exactly,
  from the numerator and denominator, never from a rounded value). Any other objective, a
  breached one, or one without a month figure earns nothing.
- The cap amount is `cap` x credits.monthly_fee, half-up to cents; the month's total never
  exceeds it (parts scaled down like the credits when their rounded sum passes the cap).
- `offset_credits: false` (default): the incentives are paid beside the credits and never
  reduce them. `offset_credits: true`: the incentives only reduce the month's credits, never
  below zero: `credits_offset` = min(incentives, credits); nothing is paid beyond that.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from slaengine.domain.evaluation.results import CreditSummary, IncentiveSummary, ObjectiveResult
from slaengine.domain.money.credits import ZERO, _scale_to_cap, to_cents

if TYPE_CHECKING:  # the pydantic models: annotations only
    from slaengine.domain.contract.model import Contract


def month_figure(result: ObjectiveResult) -> Fraction | None:
    """The exact month figure of a result: numerator / denominator (x 100 for nps)."""
    numerator, denominator = result.numerator, result.denominator
    if numerator is None or denominator is None or denominator == 0 or result.value is None:
        return None
    ratio = Fraction(numerator) / Fraction(denominator)
    return ratio * 100 if result.kpi == "nps" else ratio


def cap_amount(contract: Contract) -> Decimal:
    """cap x monthly fee, half-up to cents (0.00 without incentives or credits)."""
    if contract.incentives is None or contract.credits is None:
        return ZERO
    return to_cents(contract.credits.monthly_fee * contract.incentives.cap.fraction)


def earns(contract: Contract, result: ObjectiveResult) -> bool:
    """Whether the objective's month earns its incentive share."""
    incentives = contract.incentives
    if incentives is None or result.objective_id not in incentives.earn:
        return False
    figure = month_figure(result)
    if result.status == "breached" or figure is None:
        return False
    return incentives.earn[result.objective_id].when.is_met_by(figure)


def earn_incentives(
    contract: Contract, results: Sequence[ObjectiveResult], credits: CreditSummary
) -> IncentiveSummary | None:
    """The month's incentives from its results; None when the contract has no incentives."""
    incentives = contract.incentives
    if incentives is None:
        return None
    cap = cap_amount(contract)
    earned = {
        result.objective_id: to_cents(incentives.earn[result.objective_id].share.fraction * cap)
        if earns(contract, result)
        else ZERO
        for result in results
        if result.objective_id in incentives.earn
    }
    uncapped = sum(earned.values(), ZERO)
    if uncapped > cap:
        earned = _scale_to_cap(earned, uncapped, cap)
    total = min(uncapped, cap)
    offset = min(total, credits.total) if incentives.offset_credits else ZERO
    return IncentiveSummary(
        currency=contract.currency,
        cap=cap,
        uncapped=uncapped,
        total=total,
        earned=earned,
        offset_credits=incentives.offset_credits,
        credits_offset=offset,
    )


def net_position(credits: CreditSummary, incentives: IncentiveSummary | None) -> Decimal:
    """What the month means for the provider: incentives paid minus credits owed (after
    earn-back and offset); negative when the provider owes."""
    if incentives is None:
        return -credits.net
    return incentives.payable - (credits.net - incentives.credits_offset)
