"""Instants as epoch microseconds: local days, open hours, and the stretches of time that share
them (for the contacts tally, tally.py).

Local days come from the zone's UTC offsets (zoneinfo, as the reference tally), not a per-row
time-zone conversion. Open hours are the open intervals of every local day involved (from
`BusinessCalendar.open_intervals`) laid end to end; an instant's "business position" is the
open time elapsed before it (prefix sums + search_sorted), so business seconds between two
instants is a difference of positions, exact in microseconds.

`Stretches` cut a range of instants where a local day, an open flag or an exclusion event's
time can change: every instant of a stretch shares them, so a month's contacts are grouped by
stretch (one integer per contact) and those attributes worked out once per stretch.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from math import gcd
from zoneinfo import ZoneInfo

import polars as pl

from slaengine.domain.contract.calendars import BusinessCalendar
from slaengine.domain.evaluation.kpis import MICROSECONDS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_US = 3_600 * MICROSECONDS
DAY_US = 86_400 * MICROSECONDS


def us(instant: datetime) -> int:
    """Epoch microseconds of an aware datetime."""
    span = instant - EPOCH
    return (span.days * 86_400 + span.seconds) * MICROSECONDS + span.microseconds


def moment(us: int) -> datetime:
    """The UTC datetime of epoch microseconds."""
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class OpenTimeline:
    """Open intervals of consecutive local days as epoch microseconds: `bounds` holds their
    starts and ends interleaved (ascending, as the intervals are sorted and disjoint), and
    `before` the open microseconds before each interval."""

    bounds: list[int]
    before: list[int]

    @classmethod
    def build(cls, calendar: BusinessCalendar, first: date, last: date) -> OpenTimeline:
        bounds: list[int] = []
        day = first
        while day <= last:
            for start, end in calendar.open_intervals(day):
                bounds += [us(start), us(end)]
            day += timedelta(days=1)
        lengths = [end - start for start, end in zip(bounds[::2], bounds[1::2], strict=True)]
        return cls(bounds, [0, *accumulate(lengths)][: len(lengths)])

    def open_at(self, instant_us: int) -> bool:
        """Open at the instant: an odd number of `bounds` are at or before it."""
        return bisect_right(self.bounds, instant_us) % 2 == 1

    def position(self, instants: pl.Expr) -> pl.Expr:
        """Open microseconds elapsed from the timeline's start to each instant (Int64).

        With j the number of `bounds` at or before an instant t, t is in interval i when
        j = 2i + 1 (position t - (start_i - before_i)) and after interval i when j = 2i + 2
        (position before_i + length_i, as for j = 0: 0); so the position is
        (j mod 2) * t - shift_j, one look-up of j (`counted`) and one of the shift per instant.
        """
        shifts = [0]
        for start, end, elapsed in zip(self.bounds[::2], self.bounds[1::2], self.before,
                                       strict=True):  # fmt: skip
            shifts += [start - elapsed, -(elapsed + end - start)]
        count = counted(self.bounds, instants)
        return (count % 2).cast(pl.Int64) * instants - pl.lit(pl.Series(shifts)).gather(count)

    def position_of(self, instant_us: int) -> int:
        """`position` of one instant."""
        count = bisect_right(self.bounds, instant_us)
        if count == 0:
            return 0
        index = (count - 1) // 2
        start, end = self.bounds[2 * index], self.bounds[2 * index + 1]
        return self.before[index] + min(instant_us, end) - start


# ------------------------------------------------------------------ local days


def _offset_us(zone: ZoneInfo, at_us: int) -> int:
    offset = moment(at_us).astimezone(zone).utcoffset()
    assert offset is not None
    return us(EPOCH + offset)


def offsets(zone: ZoneInfo, first_us: int, last_us: int) -> list[tuple[int, int]]:
    """(from us, UTC offset us) pieces covering [first, last]: the zone sampled hourly, each
    change located to the microsecond (no zone changes its offset twice within an hour)."""
    pieces = [(first_us, _offset_us(zone, first_us))]
    low = first_us
    while low < last_us:
        high = min(low - low % HOUR_US + HOUR_US, last_us)
        offset = _offset_us(zone, high)
        if offset != pieces[-1][1]:
            before, after = low, high  # offset(before) is the old one, offset(after) the new
            while after - before > 1:
                middle = (before + after) // 2
                if _offset_us(zone, middle) == offset:
                    after = middle
                else:
                    before = middle
            pieces.append((after, offset))
        low = high
    return pieces


def local_date(pieces: list[tuple[int, int]], at_us: int) -> date:
    """The local date of an instant within the `offsets` pieces' range."""
    offset = pieces[bisect_right([start for start, _ in pieces], at_us) - 1][1]
    return EPOCH.date() + timedelta(days=(at_us + offset) // DAY_US)


def _day_changes(pieces: list[tuple[int, int]], last_us: int) -> list[int]:
    """The instants where `local_date` changes: each piece's start, and each local midnight
    (t + offset a whole number of days) inside a piece."""
    found = []
    ends = [start for start, _ in pieces[1:]] + [last_us + 1]
    for (start, offset), end in zip(pieces, ends, strict=True):
        found.append(start)
        midnight = ((start + offset) // DAY_US + 1) * DAY_US - offset
        while midnight < end:
            found.append(midnight)
            midnight += DAY_US
    return found


# ------------------------------------------------------------------ counting boundaries

# A look-up table of more entries than this (boundaries on no common coarse step) is not built.
_TABLE_LIMIT = 1 << 20


def counted(bounds: Sequence[int], instants: pl.Expr) -> pl.Expr:
    """The number of `bounds` (ascending epoch microseconds) at or before each instant.

    When the bounds are all multiples of a step (an hour, a minute: whole minutes in calendars
    and zones), no bound falls inside a step, so the count is looked up per step of the
    instant (a division and a look-up, a few times cheaper than a binary search per instant).
    """
    step = 0
    for bound in bounds:
        step = gcd(step, bound)
    if not bounds or (bounds[-1] - bounds[0]) // step + 2 > _TABLE_LIMIT:
        return pl.lit(pl.Series(bounds, dtype=pl.Int64)).search_sorted(instants, side="right")
    low, high = bounds[0] // step - 1, bounds[-1] // step  # count 0 at low, all at high
    steps = pl.int_range(low, high + 1, eager=True, dtype=pl.Int64) * step
    table = pl.Series(bounds, dtype=pl.Int64).search_sorted(steps, side="right")
    return pl.lit(table).gather((instants // step - low).clip(0, high - low))


# ------------------------------------------------------------------ stretches


@dataclass(frozen=True)
class Stretches:
    """[first, last] cut at `boundaries` (ascending, inside (first, last]): a contact's
    stretch (`key`) is the number of boundaries at or before its arrival, and `starts` gives
    an instant of each stretch asked for, whose local day, open flags and event times are
    those of every contact in it.
    """

    first_us: int
    boundaries: list[int]

    @classmethod
    def cut(
        cls, first_us: int, last_us: int, pieces: list[tuple[int, int]], changes: Iterable[int]
    ) -> Stretches:
        """Stretches of [first, last] for the `offsets` pieces and other `changes` (instants
        where an attribute changes, any order, outside ones ignored)."""
        inside = {t for t in (*_day_changes(pieces, last_us), *changes) if first_us < t <= last_us}
        return cls(first_us, sorted(inside))

    def key(self, arrived_us: pl.Expr) -> pl.Expr:
        """The stretch of each instant (in [first, last])."""
        return counted(self.boundaries, arrived_us).cast(pl.Int64)

    def starts(self) -> list[int]:
        """The first instant in [first, last] of each stretch, by number."""
        return [self.first_us, *self.boundaries]
