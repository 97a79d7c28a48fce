"""Months and their windows in a contract's zone.

Week windows are ISO weeks (Monday to Sunday) clipped to the month: a month starting on a
Thursday has a first week window of four days. Day windows are local days, so a DST day is
23 or 25 hours long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from slaengine.errors import EvaluationError

if TYPE_CHECKING:  # the pydantic models: not needed to check a month or an instant
    from slaengine.domain.contract.model import Contract

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")

# What the engine computes: a month's windows, settlement (days after its end), the months
# before it (earn-back, chronic failure) and its instants in any zone (UTC-12 to UTC+14) all
# stay inside Python's dates (years 1 to 9999), with a year to spare at each end.
FIRST_PERIOD = "1900-01"
LAST_PERIOD = "9998-12"
EARLIEST_INSTANT = datetime(1900, 1, 2, tzinfo=UTC)
LATEST_INSTANT = datetime(9998, 12, 31, tzinfo=UTC)


def period_problem(period: str) -> str | None:
    """Why the engine cannot compute the month `period` (YYYY-MM), or None when it can."""
    if not FIRST_PERIOD <= period <= LAST_PERIOD:
        bounds = f"{FIRST_PERIOD} to {LAST_PERIOD}"
        return f"{period} is outside the months slaengine computes ({bounds})"
    return None


def instant_problem(instant: datetime) -> str | None:
    """Why the engine cannot compute as of the aware `instant`, or None when it can."""
    if not EARLIEST_INSTANT <= instant <= LATEST_INSTANT:
        return (
            f"{instant.isoformat()} is outside the instants slaengine computes"
            f" ({EARLIEST_INSTANT:%Y-%m-%d} to {LATEST_INSTANT:%Y-%m-%d}, UTC)"
        )
    return None


def parse_period(period: str) -> tuple[int, int]:
    """`2026-03` -> (2026, 3); ValueError saying what was expected."""
    match = _PERIOD.match(period) if isinstance(period, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a period such as 2026-03 (YYYY-MM), found {period!r}")
    return int(match.group(1)), int(match.group(2))


def shift_period(period: str, months: int) -> str:
    """The period `months` months after (negative: before) `period`."""
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    """A month in a zone: local days [first, end) and instants [start, stop) in UTC."""

    name: str
    first: date
    end: date
    start: datetime
    stop: datetime
    zone: ZoneInfo

    @classmethod
    def of(cls, period: str, contract: Contract) -> Period:
        """Raises EvaluationError for anything but YYYY-MM."""
        return cls.in_zone(period, contract.zone)

    @classmethod
    def in_zone(cls, period: str, zone: ZoneInfo) -> Period:
        """The month in a zone named without its contract (`of` is this in the contract's)."""
        try:
            year, month = parse_period(period)
        except ValueError as error:
            raise EvaluationError(str(error)) from None
        if problem := period_problem(period):
            raise EvaluationError(problem)
        first = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        start = datetime.combine(first, time(), zone).astimezone(UTC)
        stop = datetime.combine(end, time(), zone).astimezone(UTC)
        return cls(period, first, end, start, stop, zone)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.end - self.first).days)]


def window_bounds(kind: str, first: date, end: date) -> list[tuple[date, date]]:
    """[start, end) local dates of the day, week (ISO, clipped) or month windows of a month."""
    if kind == "month":
        return [(first, end)]
    if kind == "day":
        return [(day, day + timedelta(days=1)) for day in _days(first, end)]
    bounds: list[tuple[date, date]] = []
    start = first
    while start < end:
        following_monday = start + timedelta(days=7 - start.weekday())
        bounds.append((start, min(following_monday, end)))
        start = following_monday
    return bounds


def _days(first: date, end: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((end - first).days)]
