"""Tally of an intervals feed (counts per queue and interval) into daily Counts.

An interval belongs to the local day of its start, is selected by the calendar when its start
is open, and is excluded (all its contacts) when its start lies in an exclusion event or on an
excluded day of its channel. A threshold or short-abandon length the feed does not carry is
never replaced by another: the objective is then not_determined with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from slaengine.domain.contract.calendars import BusinessCalendar
from slaengine.domain.contract.model import Calendar, ExclusionEvent, Objective
from slaengine.domain.evaluation.kpis import MICROSECONDS, Counts, selecting_calendar
from slaengine.domain.evaluation.results import ExcludedDay

_INTERVAL_KPIS = frozenset(
    {
        "service_level",
        "answer_rate",
        "abandonment_rate",
        "average_speed_of_answer",
        "average_handle_time",
        "cost_per_contact",
    }
)


def intervals_problem(frame: pl.DataFrame, objective: Objective) -> str | None:
    """Why the intervals in `frame` cannot give the objective's figure, or None.

    A threshold or short-abandon length the feed does not carry is never replaced by another.
    """
    if objective.kpi not in _INTERVAL_KPIS:
        return f"the intervals feed carries no {objective.kpi} (it needs the contacts feed)"
    ratio = objective.kpi in ("service_level", "answer_rate", "abandonment_rate")
    if ratio and objective.effective_denominator == "answered_and_late_abandons":
        return "the intervals feed does not count abandons after the threshold"
    rows = frame.filter(pl.col("channel").is_in(list(objective.channels)))
    if objective.kpi == "service_level" and objective.threshold is not None:
        found = sorted(set(rows["threshold_seconds"].drop_nulls().cast(pl.Int64).to_list()))
        if found and found != [objective.threshold.seconds]:
            shown = ", ".join(f"{value}s" for value in found)
            return (
                f"the intervals feed counts answers within {shown},"
                f" the objective needs {objective.threshold}"
            )
    needs_short = objective.short_abandon is not None and (
        objective.kpi == "abandonment_rate"
        or objective.effective_denominator == "offered_excluding_short_abandons"
    )
    if needs_short and objective.short_abandon is not None:
        found = sorted(set(rows["short_abandon_seconds"].drop_nulls().cast(pl.Int64).to_list()))
        if found and found != [objective.short_abandon.seconds]:
            shown = ", ".join(f"{value}s" for value in found)
            return (
                f"the intervals feed counts short abandons within {shown},"
                f" the objective needs {objective.short_abandon}"
            )
    return None


def tally_intervals(
    frame: pl.DataFrame,
    objective: Objective,
    zone: ZoneInfo,
    calendars: Mapping[str, Calendar | BusinessCalendar],
    *,
    events: Iterable[ExclusionEvent] = (),
    excluded_days: Iterable[ExcludedDay] = (),
) -> tuple[dict[date, Counts], str | None]:
    """Counts per local day from interval rows, or ({}, reason) when they cannot give them.

    An interval belongs to the local day of its start, is selected by the calendar when its
    start is open, and is excluded when its start lies in an event (or on an excluded day).
    """
    problem = intervals_problem(frame, objective)
    if problem is not None:
        return {}, problem
    calendar = selecting_calendar(objective, calendars, zone)
    events, days = tuple(events), tuple(excluded_days)
    daily: dict[date, Counts] = {}
    rows = frame.filter(pl.col("channel").is_in(list(objective.channels)))
    for row in rows.iter_rows(named=True):
        start: datetime = row["interval_start"]
        if calendar is not None and not calendar.is_open(start):
            continue
        day = start.astimezone(zone).date()
        daily[day] = daily.get(day, Counts()) + _interval_counts(objective, row, day, events, days)
    return daily, None


def _interval_counts(
    objective: Objective,
    row: dict[str, object],
    day: date,
    events: tuple[ExclusionEvent, ...],
    excluded_days: tuple[ExcludedDay, ...],
) -> Counts:
    start = row["interval_start"]
    assert isinstance(start, datetime)
    channel = str(row["channel"])
    offered = _int(row["offered"])
    for event in events:
        if (
            (event.channels is None or channel in event.channels)
            and (event.queues is None or str(row.get("queue", "default")) in event.queues)
            and event.start <= start < event.end
        ):
            return Counts(excluded=offered)
    if any(item.day == day and item.channel == channel for item in excluded_days):
        return Counts(excluded=offered)
    short = objective.short_abandon is not None
    return Counts(
        offered=offered,
        answered=_int(row["answered"]),
        answered_within=_int(row["answered_within_threshold"]) if objective.threshold else 0,
        abandoned=_int(row["abandoned"]),
        abandoned_short=_int(row["abandoned_short"]) if short else 0,
        wait_us_answered=_us_of_seconds(row["wait_seconds_answered"]),
        handle_us_answered=_us_of_seconds(row["handle_seconds"]),
    )


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _us_of_seconds(value: object) -> int:
    return round(float(value) * MICROSECONDS) if isinstance(value, int | float) else 0
