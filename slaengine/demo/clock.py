"""Opening hours for the generator: which local minutes are open, and adding open time.

Kept apart from the evaluation's business clock on purpose: the generator decides what
happened, evaluation measures it, and the two must not share a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from slaengine.domain.contract.model import Calendar

ALWAYS_OPEN: tuple[tuple[int, int], ...] = ((0, 1440),)


@dataclass(frozen=True)
class OpenHours:
    """Weekly open intervals (minutes after local midnight) and closed dates, in one zone."""

    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    closed: frozenset[date]

    def intervals_on(self, day: date) -> tuple[tuple[int, int], ...]:
        """The open intervals of a local date (none on closed dates)."""
        if day in self.closed:
            return ()
        return self.weekly[day.weekday()]

    def local_instant(self, day: date, minute: float) -> datetime:
        """The UTC instant of `minute` minutes after local midnight of `day` (wall time)."""
        wall = datetime(day.year, day.month, day.day, tzinfo=self.zone) + timedelta(minutes=minute)
        return wall.astimezone(UTC)

    def add_open_time(self, start: datetime, seconds: float) -> datetime:
        """`start` plus `seconds` of open time; a start while closed waits for the opening."""
        remaining = timedelta(seconds=seconds)
        day = start.astimezone(self.zone).date()
        for _ in range(400):
            for begin_minute, end_minute in self.intervals_on(day):
                begin = max(start, self.local_instant(day, begin_minute))
                end = self.local_instant(day, end_minute)
                if begin >= end:
                    continue
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
            day += timedelta(days=1)
        raise ValueError("no open time within 400 days: the calendar is never open")


def open_hours(zone: ZoneInfo, calendar: Calendar | None, years: range) -> OpenHours:
    """The calendar's open hours with its public holidays; always open when there is none."""
    if calendar is None:
        return OpenHours(zone, (ALWAYS_OPEN,) * 7, frozenset())
    closed: set[date] = set()
    if calendar.holidays is not None:
        closed.update(calendar.holidays.closed)
        if calendar.holidays.country:
            found = holidays.country_holidays(
                calendar.holidays.country, subdiv=calendar.holidays.subdiv, years=list(years)
            )
            closed.update(found.keys())
    return OpenHours(zone, calendar.weekly_minutes(), frozenset(closed))
