"""A backtest's result: each month under the draft and under the contract in force, and totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.results import Evaluation
from slaengine.domain.money.incentives import net_position
from slaengine.domain.procurement.changes import Change

ZERO = Decimal("0.00")
Lifecycle = Literal["final", "provisional"]


@dataclass(frozen=True)
class Flip:
    """An objective whose status differs between the contract in force and the draft."""

    objective_id: str
    in_force: str
    draft: str


@dataclass(frozen=True)
class BacktestMonth:
    """One month under both contracts, each as of the backtest's instant (one rule for both)."""

    period: str
    draft: Evaluation
    in_force: Evaluation | None
    flips: tuple[Flip, ...]

    @property
    def lifecycle(self) -> Lifecycle:
        """`final` when every side is settled at the backtest's instant, else `provisional`."""
        sides = [self.draft, *([self.in_force] if self.in_force is not None else [])]
        return "final" if all(side.lifecycle != "provisional" for side in sides) else "provisional"


@dataclass(frozen=True)
class Totals:
    """Money over the range: credits owed (before earn-back), earned back, incentives, net."""

    credits: Decimal = ZERO
    earned_back: Decimal = ZERO
    incentives: Decimal = ZERO
    net_position: Decimal = ZERO

    def plus(self, evaluation: Evaluation) -> Totals:
        incentives = evaluation.incentives.total if evaluation.incentives else ZERO
        return Totals(
            self.credits + evaluation.credits.total,
            self.earned_back + evaluation.credits.earned_back,
            self.incentives + incentives,
            self.net_position + net_position(evaluation.credits, evaluation.incentives),
        )


@dataclass(frozen=True)
class Backtest:
    """`as_of`: the one instant both sides of every month are evaluated as of."""

    draft: Contract
    against: str
    as_of: datetime
    months: tuple[BacktestMonth, ...]
    compared_with: Contract | None
    changes: tuple[Change, ...]

    @property
    def provisional_months(self) -> tuple[str, ...]:
        return tuple(month.period for month in self.months if month.lifecycle == "provisional")

    @property
    def draft_totals(self) -> Totals:
        totals = Totals()
        for month in self.months:
            totals = totals.plus(month.draft)
        return totals

    @property
    def in_force_totals(self) -> Totals:
        totals = Totals()
        for month in self.months:
            if month.in_force is not None:
                totals = totals.plus(month.in_force)
        return totals


def flips(in_force: Evaluation | None, draft: Evaluation) -> Iterator[Flip]:
    """The objectives whose status differs between the contract in force and the draft."""
    if in_force is None:
        return
    before = {result.objective_id: result.status for result in in_force.objectives}
    for result in draft.objectives:
        old = before.get(result.objective_id)
        if old is not None and old != result.status:
            yield Flip(result.objective_id, old, result.status)
