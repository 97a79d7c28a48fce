"""Relief requests (SPEC section 7): incidents declared while the contract runs.

A request names an interval, channels (optionally queues), a reason and who asks. Its trail
is a list of steps, each final once written: one decision (`approved` or `rejected`, never
by the requester) and at most one `withdrawn` step correcting a mistake. Only relief that is
approved and not withdrawn excludes contacts, as the `exclusions.events` entry
`as_event()` gives (the same code path and figures as a contract event).

The contract's `exclusions.relief` limits requests: `request_within` (counted from the
incident's end, in days or business days of its calendar, ending at local midnight) and
`max_hours_per_month` (approved relief of a local month, the union of the intervals clipped
to the month, all channels together). Pure functions: `now` is always an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from slaengine.domain.contract.calendars import BusinessCalendar
from slaengine.domain.contract.periods import Period
from slaengine.domain.contract.vocabulary import CHANNELS

if TYPE_CHECKING:  # the pydantic models: `relief list` reads requests without them
    from slaengine.domain.contract.model import Contract, ExclusionEvent

ReliefStatus = Literal["pending", "approved", "rejected", "withdrawn"]
StepKind = Literal["approved", "rejected", "withdrawn"]
STATUSES: tuple[ReliefStatus, ...] = ("pending", "approved", "rejected", "withdrawn")
MAX_RELIEF_DAYS = 31


@dataclass(frozen=True)
class ReliefStep:
    """One decision or withdrawal of a request: who, when (aware), and their note."""

    kind: StepKind
    by: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class ReliefRequest:
    """A relief request and its trail (steps oldest first)."""

    id: int
    contract_id: str
    start: datetime
    end: datetime
    channels: tuple[str, ...]
    queues: tuple[str, ...] | None
    reason: str
    requested_by: str
    requested_at: datetime
    evidence_sha256: str | None = None
    evidence_name: str | None = None
    steps: tuple[ReliefStep, ...] = ()

    @property
    def decision(self) -> ReliefStep | None:
        return next((step for step in self.steps if step.kind != "withdrawn"), None)

    @property
    def withdrawal(self) -> ReliefStep | None:
        return next((step for step in self.steps if step.kind == "withdrawn"), None)

    @property
    def status(self) -> ReliefStatus:
        if self.withdrawal is not None:
            return "withdrawn"
        decision = self.decision
        return "pending" if decision is None else decision.kind

    @property
    def excludes(self) -> bool:
        """Only approved relief that was not withdrawn excludes contacts."""
        return self.status == "approved"

    @property
    def hours(self) -> Decimal:
        return _hours(self.end - self.start)

    def as_event(self) -> ExclusionEvent:
        """The `exclusions.events` entry this relief amounts to once approved."""
        from slaengine.domain.contract.model import ExclusionEvent

        decision = self.decision
        return ExclusionEvent.model_validate(
            {
                "id": f"relief-{self.id}",
                "from": self.start,
                "to": self.end,
                "channels": self.channels,
                "queues": self.queues,
                "reason": self.reason,
                "approved_by": decision.by if decision is not None else self.requested_by,
            }
        )

    def overlaps(self, start: datetime, stop: datetime) -> bool:
        return self.start < stop and self.end > start


def _hours(span: timedelta) -> Decimal:
    seconds = Decimal(span.days * 86_400 + span.seconds)
    return (seconds / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def covered_channels(contract: Contract) -> tuple[str, ...]:
    """The channels some objective of the contract measures, in SPEC order."""
    found = {channel for objective in contract.objectives for channel in objective.channels}
    return tuple(channel for channel in CHANNELS if channel in found)


def interval_problems(
    contract: Contract, start: datetime, end: datetime, channels: Sequence[str]
) -> list[str]:
    """Why a requested interval and channels cannot be relief for this contract (none: fine)."""
    problems: list[str] = []
    if end <= start:
        problems.append(
            f"the incident must end after it starts: --to {end.isoformat()} is not after"
            f" --from {start.isoformat()}"
        )
    elif end - start > timedelta(days=MAX_RELIEF_DAYS):
        problems.append(
            f"a relief request covers at most {MAX_RELIEF_DAYS} days, found"
            f" {_hours(end - start)} hours ({start.isoformat()} to {end.isoformat()}):"
            " split it into several requests"
        )
    if not channels:
        problems.append("name at least one channel (--channels phone,chat)")
    covered = covered_channels(contract)
    outside = [channel for channel in channels if channel not in covered]
    if outside:
        problems.append(
            f"contract {contract.id} has no objective on {', '.join(outside)}"
            f" (channels it covers: {', '.join(covered)})"
        )
    return problems


def request_deadline(contract: Contract, incident_end: datetime) -> datetime | None:
    """The last instant a request for an incident ending at `incident_end` may be made.

    Days are counted from the first local day starting at or after the incident's end; the
    deadline is the local midnight ending the N-th (business) day, business days being the
    days the relief calendar opens (weekends, public holidays and closed dates do not count).
    None when the contract sets no `request_within`. Raises ValueError on an unknown calendar.
    """
    rules = contract.exclusions.relief if contract.exclusions else None
    if rules is None or rules.request_within is None:
        return None
    from slaengine.domain.contract.model import parse_request_within

    days, business = parse_request_within(rules.request_within)
    calendar = (
        BusinessCalendar.from_contract(contract, rules.calendar)
        if business and rules.calendar is not None
        else None
    )
    zone = contract.zone
    local_end = incident_end.astimezone(zone)
    day = local_end.date()
    if local_end.timetz().replace(tzinfo=None) != time():
        day += timedelta(days=1)
    counted = 0
    while True:
        if calendar is None or calendar.open_intervals(day):
            counted += 1
            if counted == days:
                return datetime.combine(day + timedelta(days=1), time(), zone)
        day += timedelta(days=1)


def deadline_problem(contract: Contract, incident_end: datetime, now: datetime) -> str | None:
    """The refusal of a request made at `now` after the contract's deadline (None: in time)."""
    deadline = request_deadline(contract, incident_end)
    if deadline is None or now <= deadline:
        return None
    rules = contract.exclusions.relief if contract.exclusions else None
    assert rules is not None
    zone = contract.zone
    on = f" on calendar {rules.calendar!r}" if rules.calendar else ""
    return (
        f"too late: contract {contract.id} accepts relief requests within"
        f" {rules.request_within}{on} after the incident ends"
        f" ({incident_end.astimezone(zone):%Y-%m-%d %H:%M}), that is until"
        f" {deadline.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key});"
        f" it is {now.astimezone(zone):%Y-%m-%d %H:%M}"
    )


def months_touched(contract: Contract, start: datetime, end: datetime) -> list[Period]:
    """The contract's local months that the interval [start, end) overlaps."""
    zone = contract.zone
    first = start.astimezone(zone).date().replace(day=1)
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    found: list[Period] = []
    month = first
    while month <= last:
        found.append(Period.of(f"{month:%Y-%m}", contract))
        month = (month + timedelta(days=32)).replace(day=1)
    return found


def relief_hours_in(requests: Iterable[ReliefRequest], month: Period) -> Decimal:
    """Hours of the union of the requests' intervals clipped to the month."""
    pieces = sorted(
        (max(r.start, month.start), min(r.end, month.stop))
        for r in requests
        if r.overlaps(month.start, month.stop)
    )
    total = timedelta()
    current: tuple[datetime, datetime] | None = None
    for start, end in pieces:
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            total += current[1] - current[0]
        current = (start, end)
    if current is not None:
        total += current[1] - current[0]
    return _hours(total)


def allowance_problem(
    contract: Contract, approved: Sequence[ReliefRequest], candidate: ReliefRequest
) -> str | None:
    """The refusal when approving `candidate` beside the `approved` relief would pass the
    contract's `max_hours_per_month` in some month it touches (None: within it)."""
    rules = contract.exclusions.relief if contract.exclusions else None
    if rules is None or rules.max_hours_per_month is None:
        return None
    limit = rules.max_hours_per_month
    which = f"request {candidate.id}" if candidate.id else "this request"
    for month in months_touched(contract, candidate.start, candidate.end):
        already = relief_hours_in(approved, month)
        after = relief_hours_in([*approved, candidate], month)
        if after > limit:
            return (
                f"beyond the monthly allowance: contract {contract.id} allows"
                f" {_plain(limit)} hours of approved relief per month; {month.name} already has"
                f" {_plain(already)} hours approved and {which} would bring"
                f" {_plain(after - already)} more ({_plain(after)} hours)"
            )
    return None


def _plain(hours: Decimal) -> str:
    text = format(hours.normalize(), "f")
    return text


def relief_events(requests: Iterable[ReliefRequest], month: Period) -> tuple[ExclusionEvent, ...]:
    """The exclusion events of the month's approved relief, by request id."""
    chosen = sorted(
        (r for r in requests if r.excludes and r.overlaps(month.start, month.stop)),
        key=lambda r: r.id,
    )
    return tuple(r.as_event() for r in chosen)


def relief_input(requests: Iterable[ReliefRequest], month: Period) -> list[dict[str, object]]:
    """What the month's final result depends on: its approved relief, as plain data."""
    return [
        {
            "id": r.id,
            "from": r.start.isoformat(),
            "to": r.end.isoformat(),
            "channels": list(r.channels),
            "queues": None if r.queues is None else list(r.queues),
            "approved_by": r.decision.by if r.decision else None,
        }
        for r in sorted(requests, key=lambda r: r.id)
        if r.excludes and r.overlaps(month.start, month.stop)
    ]


def local_day(instant: datetime, contract: Contract) -> date:
    return instant.astimezone(contract.zone).date()


PENDING_ALERT_BUSINESS_DAYS = 2


def business_days_waiting(request: ReliefRequest, as_of: datetime, contract: Contract) -> int:
    """Whole business days between the request's local day and `as_of`'s (both excluded):
    open days of the relief calendar, else Monday to Friday."""
    rules = contract.exclusions.relief if contract.exclusions else None
    calendar = (
        BusinessCalendar.from_contract(contract, rules.calendar)
        if rules is not None and rules.calendar is not None
        else None
    )
    first = local_day(request.requested_at, contract) + timedelta(days=1)
    last = local_day(as_of, contract) - timedelta(days=1)
    count, day = 0, first
    while day <= last:
        business = calendar.open_intervals(day) if calendar else day.weekday() < 5
        count += 1 if business else 0
        day += timedelta(days=1)
    return count


def overdue_pending(
    requests: Iterable[ReliefRequest], as_of: datetime, contract: Contract
) -> list[tuple[ReliefRequest, int]]:
    """Pending requests made before `as_of` that have waited more than two business days
    (`PENDING_ALERT_BUSINESS_DAYS` whole days), with their wait."""
    found = []
    for request in requests:
        if request.status != "pending" or request.requested_at > as_of:
            continue
        waiting = business_days_waiting(request, as_of, contract)
        if waiting >= PENDING_ALERT_BUSINESS_DAYS:
            found.append((request, waiting))
    return found
