"""Business calendars: opening hours, closed days and business time on the instant timeline.

A calendar is open exactly when the wall clock of the contract's zone shows a time inside one
of the weekly intervals of that local weekday, and the local date is not a closed day (a
public holiday of `holidays.country`/`subdiv`, or a `closed` date). Consequences on DST days:

- spring gap: a wall time that does not exist is moved forward to the first instant that
  exists (09:00-10:00 is unaffected; 01:30-02:30 in Paris on 2026-03-29 opens 01:30 CET and
  closes at the transition, 30 real minutes; 02:00-03:00 that day is empty);
- autumn fold: a repeated wall time opens at its first occurrence (fold=0) and an end closes
  at its last, so every instant whose wall time is inside is open: 02:00-03:00 in Paris on
  2026-10-25 lasts two real hours; 01:00-02:30 gives two pieces, 01:00-02:30 CEST and
  02:00-02:30 CET (02:30-03:00 CEST shows a closed time);
- interval lengths are real elapsed time, never wall-clock differences.

Business clock (`deadline`): a clock started while closed runs from the next opening; nights,
holidays and closed dates do not run; when the time runs out exactly at a closing, the
deadline is the next opening, so `answered_at <= deadline` exactly when
`business_seconds(arrived_at, answered_at) <= seconds`.

Every returned datetime is aware and in UTC (exact arithmetic); inputs may be in any zone but
must be aware (ValueError otherwise). Per-day open intervals are cached, so business time
walks day by day, never minute by minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slaengine.errors import EvaluationError

if TYPE_CHECKING:
    from slaengine.domain.contract.model import Calendar, Contract, Holidays

HORIZON_DAYS = 400
"""How far `next_opening` and `deadline` look ahead before giving up."""

CLOSED_BY_CONTRACT = "closed (contract)"

Interval = tuple[datetime, datetime]
_SEGMENT_SPAN = timedelta(hours=26)  # no UTC offset exceeds 26 hours


def _require_aware(instant: datetime, what: str = "instant") -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected an aware datetime for {what}, found naive {instant!r}")
    return instant.astimezone(UTC)


def wall_deadline(start: datetime, seconds: int) -> datetime:
    """The `calendar` clock: start + seconds on the instant timeline (DST-proof), in UTC.

    A 24 h calendar clock across the spring change is 24 real hours (23 wall-clock hours).
    """
    return _require_aware(start, "start") + timedelta(seconds=seconds)


class BusinessCalendar:
    """Opening hours of one contract calendar, evaluated in the contract's IANA zone."""

    def __init__(self, calendar: Calendar, zone: ZoneInfo, name: str = "calendar") -> None:
        """Raises ValueError when the holidays country or subdivision is unknown."""
        self.calendar = calendar
        self.zone = zone
        self.name = name
        self._weekly = calendar.weekly_minutes()
        self._closed = frozenset(calendar.holidays.closed if calendar.holidays else ())
        self._public: Any = _public_holidays(calendar, name)
        self._days: dict[date, tuple[Interval, ...]] = {}

    @classmethod
    def from_contract(cls, contract: Contract, name: str) -> BusinessCalendar:
        """The calendar `name` of the contract; ValueError naming the known ones when absent."""
        calendar = contract.calendars.get(name)
        if calendar is None:
            known = ", ".join(sorted(contract.calendars)) or "none"
            raise ValueError(
                f"contract {contract.id} has no calendar {name!r} (calendars: {known})"
            )
        return cls(calendar, contract.zone, name)

    # closed days -----------------------------------------------------------------------

    def closed_reason(self, day: date) -> str | None:
        """The holiday name, `closed (contract)`, or None when the day is not closed."""
        if self._public is not None:
            holiday = self._public.get(day)
            if holiday:
                return str(holiday)
        if day in self._closed:
            return CLOSED_BY_CONTRACT
        return None

    def is_closed_day(self, day: date) -> bool:
        """A public holiday of the calendar's country, or a `closed` date of the contract."""
        return self.closed_reason(day) is not None

    def closed_days(self, first: date, last: date) -> dict[date, str]:
        """Closed days from `first` to `last` inclusive -> holiday name or `closed (contract)`."""
        found: dict[date, str] = {}
        day = first
        while day <= last:
            reason = self.closed_reason(day)
            if reason is not None:
                found[day] = reason
            day += timedelta(days=1)
        return found

    # open time -------------------------------------------------------------------------

    def open_intervals(self, day: date) -> tuple[Interval, ...]:
        """The open instants of a local day as sorted, disjoint [start, end) pairs in UTC."""
        cached = self._days.get(day)
        if cached is None:
            cached = self._compute_intervals(day)
            self._days[day] = cached
        return cached

    def _compute_intervals(self, day: date) -> tuple[Interval, ...]:
        minutes = self._weekly[day.weekday()]
        if not minutes or self.is_closed_day(day):
            return ()
        midnight = datetime.combine(day, time())  # naive wall time
        pieces: list[Interval] = []
        for seg_start, seg_end, offset in _offset_segments(self.zone, midnight):
            for start_minute, end_minute in minutes:
                # instants t of the segment whose wall time t + offset lies in [start, end)
                wall_start = midnight + timedelta(minutes=start_minute) - offset
                wall_end = midnight + timedelta(minutes=end_minute) - offset
                low, high = max(seg_start, wall_start), min(seg_end, wall_end)
                if low < high:
                    pieces.append((low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)))
        return _merge(pieces)

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def is_open(self, instant: datetime) -> bool:
        """Open at `instant`: interval starts are open, interval ends are closed."""
        moment = _require_aware(instant)
        return any(
            start <= moment < end for start, end in self.open_intervals(self._local_date(moment))
        )

    def _intervals_from(self, instant: datetime) -> Iterator[Interval]:
        """Open intervals (clipped) at or after `instant`, within the horizon."""
        day = self._local_date(instant)
        for _ in range(HORIZON_DAYS + 1):
            for start, end in self.open_intervals(day):
                if end > instant:
                    yield max(start, instant), end
            day += timedelta(days=1)

    def next_opening(self, instant: datetime) -> datetime | None:
        """`instant` itself when open, else the next opening; None if none within the horizon."""
        moment = _require_aware(instant)
        for start, _end in self._intervals_from(moment):
            return start
        return None

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds in [start, end); 0 when end is not after start."""
        low, high = _require_aware(start, "start"), _require_aware(end, "end")
        total = timedelta()
        if high <= low:
            return 0.0
        day, last = self._local_date(low), self._local_date(high)
        while day <= last:
            for open_start, open_end in self.open_intervals(day):
                overlap = min(open_end, high) - max(open_start, low)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds()

    def deadline(self, start: datetime, seconds: int | float) -> datetime:
        """The last instant at which no more than `seconds` of open time have run since start.

        So `answered_at <= deadline(arrived_at, s)` exactly when
        `business_seconds(arrived_at, answered_at) <= s`. A clock started while closed runs
        from the next opening; closed time (nights, holidays) does not run, so when the time
        runs out exactly at a closing, the deadline is the next opening. Raises
        EvaluationError when the calendar has no open time for HORIZON_DAYS days.
        """
        moment = _require_aware(start, "start")
        if seconds < 0:
            raise ValueError(f"expected a number of seconds >= 0, found {seconds}")
        remaining = timedelta(seconds=seconds)
        exhausted_at: datetime | None = None
        for open_start, open_end in self._intervals_from(moment):
            if exhausted_at is not None:
                return open_start
            available = open_end - open_start
            if remaining < available:
                return open_start + remaining
            remaining -= available
            if remaining == timedelta():
                exhausted_at = open_end
        if exhausted_at is not None:
            return exhausted_at
        raise EvaluationError(
            f"calendar {self.name!r} has no open time within {HORIZON_DAYS} days after"
            f" {moment.isoformat()}: a business-clock deadline cannot be computed"
        )


def holidays_problem(spec: Holidays) -> str | None:
    """Why the `holidays` block cannot be used (unknown country or subdivision), or None.

    For contract validation: lets a checker report the problem at the node's line.
    """
    if spec.country is None:
        return None
    import holidays  # kept here: the only use of the package in the domain

    try:
        holidays.country_holidays(spec.country, subdiv=spec.subdiv)
    except NotImplementedError:
        where = f" subdivision {spec.subdiv!r}" if spec.subdiv else ""
        return (
            f"public holidays are not known for country {spec.country!r}{where}"
            " (expected an ISO 3166 code supported by the holidays package, such as FR)"
        )
    return None


def _public_holidays(calendar: Calendar, name: str) -> Any:
    """A `holidays` mapping (date -> name) for the calendar's country, or None."""
    spec = calendar.holidays
    if spec is None or spec.country is None:
        return None
    problem = holidays_problem(spec)
    if problem is not None:
        raise ValueError(f"calendar {name!r}: {problem}")
    import holidays

    return holidays.country_holidays(spec.country, subdiv=spec.subdiv)


def _offset_segments(
    zone: ZoneInfo, midnight: datetime
) -> list[tuple[datetime, datetime, timedelta]]:
    """Naive-UTC [start, end) spans of constant UTC offset covering the local day.

    Offsets are sampled hourly and transitions located by bisection to the second; two
    transitions within one hour do not occur in the tz database.
    """
    low = midnight - _SEGMENT_SPAN
    high = midnight + timedelta(days=1) + _SEGMENT_SPAN
    segments: list[tuple[datetime, datetime, timedelta]] = []
    seg_start, offset = low, _offset(zone, low)
    probe = low
    while probe < high:
        step_end = min(probe + timedelta(hours=1), high)
        next_offset = _offset(zone, step_end)
        if next_offset != offset:
            change = _transition(zone, probe, step_end, offset)
            segments.append((seg_start, change, offset))
            seg_start, offset = change, next_offset
        probe = step_end
    segments.append((seg_start, high, offset))
    return segments


def _offset(zone: ZoneInfo, naive_utc: datetime) -> timedelta:
    result = naive_utc.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    assert result is not None  # a ZoneInfo always has an offset
    return result


def _transition(zone: ZoneInfo, before: datetime, after: datetime, offset: timedelta) -> datetime:
    """The first instant in (before, after] whose offset differs from `offset`."""
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle <= before:
            middle = before + timedelta(seconds=1)
        if _offset(zone, middle) == offset:
            before = middle
        else:
            after = middle
    return after


def _merge(pieces: list[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)
