"""The contract specification (SPEC section 1) as frozen pydantic models.

Field-level rules live on the types (a bad duration is reported at its own line); rules
that relate several fields (allocation names a missing objective, overlapping opening
hours, a unit that does not fit the kpi...) live in `slaengine.domain.contract.rules`,
which reports each problem with the path of the offending node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from slaengine.domain.contract.units import Duration, Percent, Target
from slaengine.domain.contract.vocabulary import CHANNELS as CHANNELS
from slaengine.domain.contract.vocabulary import FRACTION_KPIS as FRACTION_KPIS
from slaengine.domain.contract.vocabulary import REAL_TIME_CHANNELS as REAL_TIME_CHANNELS
from slaengine.domain.contract.vocabulary import SECONDS_KPIS as SECONDS_KPIS
from slaengine.domain.contract.vocabulary import Channel as Channel
from slaengine.domain.contract.vocabulary import Kpi as Kpi
from slaengine.domain.contract.vocabulary import Sourcing as Sourcing

Denominator = Literal[
    "offered", "offered_excluding_short_abandons", "answered_and_late_abandons", "answered"
]
WindowKind = Literal["month", "week", "day"]
Level = Literal["critical", "key"]
Clock = Literal["calendar", "business"]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")


def parse_day_key(key: str) -> tuple[int, ...]:
    """`mon` -> (0,), `mon-fri` -> (0..4), `sat-mon` -> (5, 6, 0). Raises ValueError."""
    parts = key.strip().lower().split("-")
    if len(parts) not in (1, 2) or any(part not in DAY_NAMES for part in parts):
        raise ValueError(f"expected a day (mon..sun) or a range such as mon-fri, found {key!r}")
    first = DAY_NAMES.index(parts[0])
    last = DAY_NAMES.index(parts[-1])
    span = (last - first) % 7
    return tuple((first + step) % 7 for step in range(span + 1))


def parse_interval(text: str) -> tuple[int, int]:
    """`08:00-22:00` -> (480, 1320) minutes after local midnight; `24:00` may end a day."""
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected an interval such as 08:00-22:00, found {text!r}")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ValueError(f"expected times between 00:00 and 24:00, found {text!r}")
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end == start:
        raise ValueError(f"interval {text!r} is empty: its end must come after its start")
    if end < start:
        first, second = (part.strip() for part in text.split("-"))
        raise ValueError(
            f"interval {text!r} ends before it starts: intervals never cross midnight,"
            f" split it into {first}-24:00 and 00:00-{second}"
        )
    return start, end


def _check_day_key(key: str) -> str:
    parse_day_key(key)
    return key


def _check_interval(text: str) -> str:
    parse_interval(text)
    return text


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"expected an IANA time zone such as Europe/Paris, found {name!r}{hint}"
        ) from None
    return name


_DAY = "(mon|tue|wed|thu|fri|sat|sun)"
DayKey = Annotated[
    str,
    AfterValidator(_check_day_key),
    WithJsonSchema({"type": "string", "pattern": f"^{_DAY}(-{_DAY})?$"}),
]
IntervalText = Annotated[
    str,
    AfterValidator(_check_interval),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*([01]\d|2[0-3]):[0-5]\d\s*-\s*([01]\d|2[0-4]):[0-5]\d\s*$",
            "examples": ["08:00-22:00"],
        }
    ),
]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=15)]
# Bounds that keep every value storable and computable (hardening): check and load agree.
MAX_VERSION = 2_147_483_647  # PostgreSQL integer
MAX_DURATION_SECONDS = 366 * 24 * 3600
Ref = Annotated[str, StringConstraints(max_length=64)]


def _check_duration(duration: Duration) -> Duration:
    if duration.seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"expected a duration of at most 8784h (366 days), found {duration}")
    return duration


BoundedDuration = Annotated[Duration, AfterValidator(_check_duration)]


class Spec(BaseModel):
    """Base of every specification model: frozen, unknown keys forbidden."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, validate_default=True
    )


class Provider(Spec):
    id: Slug
    name: Name
    sourcing: Sourcing


class Effective(Spec):
    """Periods from `from` (inclusive) to `to` (inclusive; open-ended when absent)."""

    start: date = Field(alias="from")
    end: date | None = Field(default=None, alias="to")

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Holidays(Spec):
    """Closed days: public holidays of `country` (and `subdiv`), plus explicit `closed` dates."""

    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    subdiv: Annotated[str, StringConstraints(max_length=10)] | None = None
    closed: tuple[date, ...] = ()


class Calendar(Spec):
    """Weekly opening intervals (local time of the contract's zone) and closed days."""

    weekly: dict[DayKey, tuple[IntervalText, ...]]
    holidays: Holidays | None = None

    def weekly_minutes(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Per weekday (0 = Monday), the sorted open intervals in minutes after midnight."""
        days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for key, intervals in self.weekly.items():
            for weekday in parse_day_key(key):
                days[weekday].extend(parse_interval(text) for text in intervals)
        return tuple(tuple(sorted(day)) for day in days)


class Objective(Spec):
    """One service-level objective. Parameters that a kpi does not use are errors (rules)."""

    id: Slug
    channel: Channel | tuple[Channel, ...] | None = None
    kpi: Kpi
    threshold: BoundedDuration | None = None
    denominator: Denominator | None = None
    short_abandon: BoundedDuration | None = None
    calendar: Ref | None = None
    clock: Clock | None = None
    target: Target | None = None
    window: WindowKind = "month"
    allowed_misses: Annotated[int, Field(ge=0, le=31)] | None = None
    min_volume: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = None
    level: Level = "key"
    satisfied_from: Annotated[int, Field(ge=1, le=5)] | None = None

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The channels in scope: all six when `channel` is omitted."""
        if self.channel is None:
            return CHANNELS
        if isinstance(self.channel, tuple):
            return self.channel
        return (self.channel,)

    @property
    def effective_clock(self) -> Clock:
        return self.clock or "calendar"

    @property
    def effective_denominator(self) -> Denominator:
        return self.denominator or "offered"

    @property
    def effective_satisfied_from(self) -> int:
        return self.satisfied_from if self.satisfied_from is not None else 4


class EarnBack(Spec):
    months: Annotated[int, Field(ge=1, le=24)]


class Credits(Spec):
    """Service credits: allocation share x at-risk amount, capped at the at-risk amount."""

    monthly_fee: Money
    at_risk: Percent
    pool: Percent | None = None
    allocation: dict[Ref, Percent] = Field(default_factory=dict)
    earn_back: EarnBack | None = None

    @property
    def at_risk_amount(self) -> Decimal:
        """monthly_fee x at_risk, half-up to cents."""
        from decimal import ROUND_HALF_UP

        return (self.monthly_fee * self.at_risk.fraction).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


class IncentiveEarn(Spec):
    """One objective's bonus: `share` of the cap, earned when the month's figure meets `when`."""

    when: Target
    share: Percent


class Incentives(Spec):
    """Bonus for over-achievement, beside the credits (the malus): at most `cap` x monthly fee."""

    cap: Percent
    earn: dict[str, IncentiveEarn] = Field(default_factory=dict)
    offset_credits: bool = False


class ContinuousImprovement(Spec):
    """After `after_months` consecutive months better than the target, the target moves
    `halfway` to the average achieved over those months (`objectives`: all when omitted)."""

    after_months: Annotated[int, Field(ge=1, le=36)]
    move: Literal["halfway"] = "halfway"
    objectives: tuple[str, ...] | None = None


class VolumeBand(Spec):
    over_forecast: Percent


class ExclusionEvent(Spec):
    """A declared and approved incident: contacts arriving in [from, to) are excluded
    (of its `channels`, all when omitted; of its `queues`, all when omitted)."""

    id: Slug
    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")
    channels: tuple[Channel, ...] | None = None
    queues: tuple[Name, ...] | None = None
    reason: Name
    approved_by: Name


_REQUEST_WITHIN = re.compile(r"^\s*(\d{1,3})\s+(business\s+)?days?\s*$")


def parse_request_within(text: str) -> tuple[int, bool]:
    """`5 business days` -> (5, True), `10 days` -> (10, False). Raises ValueError."""
    match = _REQUEST_WITHIN.match(text) if isinstance(text, str) else None
    if not match or not 1 <= int(match.group(1)) <= 366:
        raise ValueError(
            f"expected a delay such as '5 business days' or '10 days' (1 to 366), found {text!r}"
        )
    return int(match.group(1)), match.group(2) is not None


@dataclass(frozen=True)
class RequestDelay:
    """`exclusions.relief.request_within` read: `days` days, business days when `business`."""

    days: int
    business: bool

    @classmethod
    def parse(cls, text: str) -> RequestDelay:
        """Raises ValueError (see `parse_request_within`)."""
        return cls(*parse_request_within(text))

    def __str__(self) -> str:
        unit = "business day" if self.business else "day"
        return f"{self.days} {unit}{'' if self.days == 1 else 's'}"


def _check_request_within(text: str) -> str:
    parse_request_within(text)
    return text


RequestWithin = Annotated[str, AfterValidator(_check_request_within)]


class ReliefRules(Spec):
    """`exclusions.relief`: how relief requests (SPEC section 7) are limited.

    `request_within` counts from the incident's end (business days on `calendar`, which the
    rules require when the delay is in business days); `max_hours_per_month` caps the
    approved relief of a local month, contract-wide and all channels together.
    """

    request_within: RequestWithin | None = None
    calendar: Ref | None = None
    max_hours_per_month: Annotated[Decimal, Field(gt=0, le=744, decimal_places=2)] | None = None

    @property
    def delay(self) -> RequestDelay | None:
        """`request_within` read (None when the contract sets no deadline)."""
        return None if self.request_within is None else RequestDelay.parse(self.request_within)


class Exclusions(Spec):
    volume_band: VolumeBand | None = None
    events: tuple[ExclusionEvent, ...] = ()
    relief: ReliefRules | None = None


class ChronicFailure(Spec):
    breaches: Annotated[int, Field(ge=1, le=1000)]
    within_months: Annotated[int, Field(ge=1, le=36)]


class Contract(Spec):
    """One version of one contract (SPEC section 1)."""

    api_version: Literal["slaengine/v1"] = Field(alias="apiVersion")
    kind: Literal["Contract"]
    id: Slug
    version: Annotated[int, Field(ge=1, le=MAX_VERSION)]
    title: Name
    provider: Provider
    activity: Slug
    effective: Effective
    timezone: TimeZoneName
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    calendars: dict[Slug, Calendar] = Field(default_factory=dict)
    objectives: Annotated[tuple[Objective, ...], Field(min_length=1)]
    credits: Credits | None = None
    incentives: Incentives | None = None
    exclusions: Exclusions | None = None
    chronic_failure: ChronicFailure | None = None
    continuous_improvement: ContinuousImprovement | None = None

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def objective(self, objective_id: str) -> Objective:
        for objective in self.objectives:
            if objective.id == objective_id:
                return objective
        raise KeyError(objective_id)

    def to_document(self) -> dict[str, Any]:
        """The specification as plain data, keys as written in YAML (for dumps and storage)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class BenchmarkSpec(Spec):
    """`contracts/benchmark.yaml`: the definition set used to compare setups of an activity."""

    api_version: Literal["slaengine/v1"] = Field(alias="apiVersion")
    kind: Literal["Benchmark"]
    activity: Slug
    timezone: TimeZoneName | None = None
    calendars: dict[Slug, Calendar] = Field(default_factory=dict)
    objectives: Annotated[tuple[Objective, ...], Field(min_length=1)]
