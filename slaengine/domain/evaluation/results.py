"""What an evaluation says: plain, immutable result objects shared by evaluation and reports.

Values: fractions are 0..1, durations are seconds, nps is points, money is Decimal.
Numerator and denominator are the summed counts (or summed seconds) behind each ratio, so
that every figure can be reproduced and windows can be added up without averaging ratios.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Status = Literal["met", "breached", "not_determined", "excused"]
STATUSES: tuple[Status, ...] = ("met", "breached", "not_determined", "excused")
Lifecycle = Literal["provisional", "final", "restated"]
LIFECYCLES: tuple[Lifecycle, ...] = ("provisional", "final", "restated")


@dataclass(frozen=True)
class WindowResult:
    """One day, week or month window of an objective. `end` is exclusive (local dates)."""

    start: date
    end: date
    status: Status
    value: float | None
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    volume: int
    reason: str | None = None


@dataclass(frozen=True)
class ObjectiveResult:
    """The figures and status of one objective over the evaluated period."""

    objective_id: str
    kpi: str
    level: str
    channels: tuple[str, ...]
    status: Status
    value: float | None
    target: str | None
    target_value: float | None
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    volume: int
    windows: tuple[WindowResult, ...] = ()
    windows_breached: int = 0
    allowed_misses: int = 0
    reason: str | None = None
    excluded_contacts: int = 0
    pending_contacts: int = 0
    credit: Decimal = Decimal("0.00")
    earned_back: Decimal = Decimal("0.00")
    provider_reported_value: float | None = None
    at_risk: bool = False
    at_risk_reason: str | None = None
    provider_differs: bool = False


@dataclass(frozen=True)
class ExcludedDay:
    """A local day removed by the volume band: contacts above forecast x (1 + over_forecast)."""

    day: date
    channel: str
    contacts: int
    forecast: int
    reason: str


@dataclass(frozen=True)
class ChronicFailureFlag:
    """A critical objective breached `breaches` times within `within_months` months."""

    objective_id: str
    breached_periods: tuple[str, ...]
    breaches: int
    within_months: int


@dataclass(frozen=True)
class CreditSummary:
    currency: str
    at_risk: Decimal
    uncapped: Decimal
    total: Decimal
    earned_back: Decimal = Decimal("0.00")
    capped: bool = False

    @property
    def net(self) -> Decimal:
        """Credits owed this month after returning earned-back credits of earlier months."""
        return self.total - self.earned_back


@dataclass(frozen=True)
class IncentiveSummary:
    """The month's bonus (domain.incentives): `earned` per objective of the `earn` block."""

    currency: str
    cap: Decimal
    uncapped: Decimal
    total: Decimal
    earned: dict[str, Decimal] = field(default_factory=dict)
    offset_credits: bool = False
    credits_offset: Decimal = Decimal("0.00")

    @property
    def payable(self) -> Decimal:
        """Paid to the provider: the total, or nothing when it offsets the credits instead."""
        return Decimal("0.00") if self.offset_credits else self.total


@dataclass(frozen=True)
class Evaluation:
    """A contract version evaluated over one month (or month to date) as of an instant.

    `lifecycle` (SPEC section 5): `provisional` before the month's settlement instant
    `settles_at`; `final` as of exactly that instant; `restated` for a final result that
    replaced an earlier final of the same month whose inputs differed.
    """

    contract_id: str
    contract_version: int
    provider_id: str
    period: str
    as_of: datetime
    month_to_date: bool
    objectives: tuple[ObjectiveResult, ...]
    credits: CreditSummary
    chronic_failures: tuple[ChronicFailureFlag, ...] = ()
    excluded_days: tuple[ExcludedDay, ...] = ()
    input_hashes: tuple[str, ...] = ()
    restated: bool = False
    notes: tuple[str, ...] = field(default=())
    incentives: IncentiveSummary | None = None
    lifecycle: Lifecycle = "provisional"
    settles_at: datetime | None = None
