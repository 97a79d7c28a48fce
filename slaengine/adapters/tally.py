"""The fast tally: the reference `tally_contacts` as polars expressions over a contacts frame.

The frame has the columns of `feed_repo.contacts_frame` (times Datetime("us", "UTC")).
Calendar selection and business clocks are vectorised: the open intervals of every local day
involved (from `BusinessCalendar.open_intervals`) are laid end to end, and an instant's
"business position" is the open time elapsed before it (prefix sums + search_sorted), so
business seconds between two instants is a difference of positions, exact in microseconds.
The property test in tests/test_tally.py holds this module to the reference tally.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from slaengine.domain.calendars import HORIZON_DAYS, BusinessCalendar
from slaengine.domain.contract import Calendar, ExclusionEvent, Objective
from slaengine.domain.kpis import MICROSECONDS, Counts, selecting_calendar
from slaengine.domain.results import ExcludedDay

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COUNT_COLUMNS = (
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_short",
    "abandoned_late",
    "wait_us_answered",
    "handle_us_answered",
    "responded_within",
    "due",
    "pending",
    "fcr_resolved",
    "fcr_known",
    "csat_satisfied",
    "csat_given",
    "promoters",
    "detractors",
    "nps_answers",
    "excluded",
)


def benchmark_calendars(
    calendars: Mapping[str, Calendar], zone: ZoneInfo
) -> dict[str, BusinessCalendar]:
    """BusinessCalendars for a definition set (built once, their day caches shared)."""
    return {name: BusinessCalendar(calendar, zone, name) for name, calendar in calendars.items()}


def _us(instant: datetime) -> int:
    span = instant - _EPOCH
    return (span.days * 86_400 + span.seconds) * MICROSECONDS + span.microseconds


@dataclass(frozen=True)
class _OpenTimeline:
    """Open intervals of consecutive local days as epoch microseconds, with prefix sums."""

    starts: pl.Series
    ends: pl.Series
    before: pl.Series  # open microseconds before each interval

    @classmethod
    def build(cls, calendar: BusinessCalendar, first: date, last: date) -> _OpenTimeline:
        starts: list[int] = []
        ends: list[int] = []
        day = first
        while day <= last:
            for start, end in calendar.open_intervals(day):
                starts.append(_us(start))
                ends.append(_us(end))
            day += timedelta(days=1)
        lengths = [end - start for start, end in zip(starts, ends, strict=True)]
        before = [0, *accumulate(lengths)][: len(starts)]
        return cls(
            pl.Series(starts, dtype=pl.Int64),
            pl.Series(ends, dtype=pl.Int64),
            pl.Series(before, dtype=pl.Int64),
        )

    def _index(self, instants: pl.Series) -> pl.Series:
        """Per instant, the index of the last interval starting at or before it (-1: none)."""
        return (self.starts.search_sorted(instants, side="right").cast(pl.Int64) - 1).alias("i")

    def is_open(self, instants: pl.Series) -> pl.Series:
        if self.starts.len() == 0:
            return pl.Series([False] * instants.len(), dtype=pl.Boolean)
        index = self._index(instants)
        safe = index.clip(0, None)
        ends = self.ends.gather(safe)
        return (index >= 0) & (instants < ends)

    def position(self, instants: pl.Series) -> pl.Series:
        """Open microseconds elapsed from the timeline's start to each instant."""
        if self.starts.len() == 0:
            return pl.Series([0] * instants.len(), dtype=pl.Int64)
        index = self._index(instants)
        safe = index.clip(0, None)
        starts, ends, before = (
            self.starts.gather(safe),
            self.ends.gather(safe),
            self.before.gather(safe),
        )
        inside = pl.select(pl.min_horizontal(instants, ends) - starts).to_series()
        return pl.select(pl.when(index >= 0).then(before + inside).otherwise(0)).to_series()


def _epoch_us(column: str) -> pl.Expr:
    return pl.col(column).dt.epoch("us")


# The columns a tally reads (filtering copies these only, not ids and queues).
_TALLIED = [
    "channel", "arrived_at", "answered_at", "abandoned_at", "handle_seconds",
    "resolved_first_contact", "csat", "nps",
]  # fmt: skip

# The local day of every contact of the last frame tallied: computed once per contact, not
# once per objective (one entry, held weakly, so no frame outlives its evaluation here).
_LAST_DAYS: dict[str, tuple[weakref.ref[pl.DataFrame], pl.Series]] = {}


def _local_days(frame: pl.DataFrame, zone: ZoneInfo) -> pl.DataFrame:
    found = _LAST_DAYS.get(zone.key)
    if found is not None and found[0]() is frame:
        days = found[1]
    else:
        local = pl.col("arrived_at").dt.convert_time_zone(zone.key)
        days = frame.select(local.dt.date().alias("day")).to_series()
        _LAST_DAYS.clear()
        _LAST_DAYS[zone.key] = (weakref.ref(frame), days)
    return frame.with_columns(days)


def _select_open(frame: pl.DataFrame, calendar: BusinessCalendar) -> pl.DataFrame:
    if frame.height == 0:
        return frame
    first, last = frame["day"].min(), frame["day"].max()
    assert isinstance(first, date) and isinstance(last, date)
    timeline = _OpenTimeline.build(calendar, first, last)
    arrived = frame.select(_epoch_us("arrived_at")).to_series()
    return frame.filter(timeline.is_open(arrived))


def _excluded_mask(
    events: Iterable[ExclusionEvent], excluded_days: Iterable[ExcludedDay]
) -> pl.Expr:
    mask = pl.lit(False)
    for event in events:
        inside = (pl.col("arrived_at") >= event.start.astimezone(UTC)) & (
            pl.col("arrived_at") < event.end.astimezone(UTC)
        )
        if event.channels is not None:
            inside = inside & pl.col("channel").is_in(list(event.channels))
        mask = mask | inside
    for day in excluded_days:
        mask = mask | ((pl.col("day") == day.day) & (pl.col("channel") == day.channel))
    return mask


def _flag(condition: pl.Expr) -> pl.Expr:
    return condition.fill_null(False).cast(pl.Int64)


def _base_columns(objective: Objective) -> list[pl.Expr]:
    answered = pl.col("answered_at").is_not_null()
    abandoned = pl.col("answered_at").is_null() & pl.col("abandoned_at").is_not_null()
    wait = (pl.col("answered_at") - pl.col("arrived_at")).dt.total_microseconds()
    abandon_wait = (pl.col("abandoned_at") - pl.col("arrived_at")).dt.total_microseconds()
    threshold = objective.threshold.seconds * MICROSECONDS if objective.threshold else None
    short = objective.short_abandon.seconds * MICROSECONDS if objective.short_abandon else None
    is_short = abandoned & (abandon_wait <= short) if short is not None else pl.lit(False)
    late = (
        abandoned & (abandon_wait > threshold) if threshold is not None else abandoned & ~is_short
    )
    within = answered & (wait <= threshold) if threshold is not None else pl.lit(False)
    handle = (pl.col("handle_seconds").fill_null(0.0) * MICROSECONDS).round(0).cast(pl.Int64)
    satisfied = objective.effective_satisfied_from
    return [
        pl.lit(1, dtype=pl.Int64).alias("offered"),
        _flag(answered).alias("answered"),
        _flag(within).alias("answered_within"),
        _flag(abandoned).alias("abandoned"),
        _flag(is_short).alias("abandoned_short"),
        _flag(late).alias("abandoned_late"),
        pl.when(answered).then(wait).otherwise(0).cast(pl.Int64).alias("wait_us_answered"),
        pl.when(answered).then(handle).otherwise(0).alias("handle_us_answered"),
        _flag(pl.col("resolved_first_contact")).alias("fcr_resolved"),
        _flag(pl.col("resolved_first_contact").is_not_null()).alias("fcr_known"),
        _flag(pl.col("csat") >= satisfied).alias("csat_satisfied"),
        _flag(pl.col("csat").is_not_null()).alias("csat_given"),
        _flag(pl.col("nps") >= 9).alias("promoters"),
        _flag(pl.col("nps") <= 6).alias("detractors"),
        _flag(pl.col("nps").is_not_null()).alias("nps_answers"),
    ]


def _response_columns(
    frame: pl.DataFrame,
    objective: Objective,
    calendar: BusinessCalendar | None,
    as_of: datetime,
) -> pl.DataFrame:
    """due / pending / responded_within of a response_within objective."""
    threshold = objective.threshold.seconds * MICROSECONDS if objective.threshold else 0
    as_of_us = _us(as_of.astimezone(UTC))
    arrived = frame.select(_epoch_us("arrived_at")).to_series()
    answered = frame.select(_epoch_us("answered_at")).to_series()
    answered_known = answered.is_not_null() & (answered <= as_of_us)
    if objective.effective_clock == "business" and calendar is not None and frame.height:
        first = frame["day"].min()
        assert isinstance(first, date)
        last_answer = frame["answered_at"].max()
        latest = max(
            [as_of.astimezone(calendar.zone)]
            + ([last_answer.astimezone(calendar.zone)] if isinstance(last_answer, datetime) else [])
        ).date()
        last_arrival = frame["day"].max()
        assert isinstance(last_arrival, date)
        latest = min(latest, last_arrival + timedelta(days=HORIZON_DAYS))
        timeline = _OpenTimeline.build(calendar, first, latest)
        start = timeline.position(arrived)
        spent_at_answer = timeline.position(answered.fill_null(0)) - start
        spent_at_as_of = timeline.position(pl.Series([as_of_us] * frame.height)) - start
        due = spent_at_as_of > threshold
        within = answered_known & (spent_at_answer <= threshold)
    else:
        due = as_of_us > arrived + threshold
        within = answered_known & (answered <= arrived + threshold)
    due = due.fill_null(False)
    within = (within.fill_null(False)) & due
    return frame.with_columns(
        due.cast(pl.Int64).alias("due"),
        (~due).cast(pl.Int64).alias("pending"),
        within.cast(pl.Int64).alias("responded_within"),
    )


def tally_objective(
    frame: pl.DataFrame,
    objective: Objective,
    zone: ZoneInfo,
    calendars: Mapping[str, Calendar | BusinessCalendar],
    *,
    as_of: datetime,
    events: Iterable[ExclusionEvent] = (),
    excluded_days: Iterable[ExcludedDay] = (),
) -> dict[date, Counts]:
    """Counts per local arrival day of the objective's contacts; equals `tally_contacts`.

    Raises ValueError when the objective names a calendar that `calendars` lacks.
    """
    calendar = selecting_calendar(objective, calendars, zone)
    in_scope = pl.col("channel").is_in(list(objective.channels))
    scoped = _local_days(frame, zone).select(*_TALLIED, "day").filter(in_scope)
    if objective.kpi != "response_within" and calendar is not None:
        scoped = _select_open(scoped, calendar)
    events, excluded_days = list(events), list(excluded_days)
    if events or excluded_days:
        flagged = scoped.with_columns(_excluded_mask(events, excluded_days).alias("is_excluded"))
        kept = flagged.filter(~pl.col("is_excluded")).drop("is_excluded")
        excluded = flagged.filter(pl.col("is_excluded")).select(
            "day", pl.lit(1, dtype=pl.Int64).alias("excluded")
        )
    else:  # nothing excluded: no mask to compute, no copy to filter
        kept = scoped
        excluded = pl.DataFrame(schema={"day": pl.Date, "excluded": pl.Int64})
    response = ("due", "pending", "responded_within")
    if objective.kpi == "response_within":
        kept = _response_columns(kept, objective, calendar, as_of)
        extra = [pl.col(name) for name in response]
    else:
        extra = [pl.lit(0, dtype=pl.Int64).alias(name) for name in response]
    sums = (
        kept.lazy()
        .select("day", *_base_columns(objective), *extra)
        .group_by("day")
        .agg(pl.col(name).sum() for name in _COUNT_COLUMNS if name != "excluded")
        .collect()
    )
    lost = excluded.group_by("day").agg(pl.col("excluded").sum())
    joined = sums.join(lost, on="day", how="full", coalesce=True).fill_null(0)
    return {row["day"]: _counts_of(row) for row in joined.iter_rows(named=True)}


def _counts_of(row: dict[str, Any]) -> Counts:
    values: dict[str, Any] = {name: int(row[name]) for name in _COUNT_COLUMNS}
    return Counts(**values)
