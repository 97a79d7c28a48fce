"""The KPI catalogue (SPEC section 1): additive counts and the exact figures derived from them.

Every KPI needs only sums, so a window's figure is `kpi_figures(objective, sum of its days)`:
ratios are never averaged. Durations are summed in whole microseconds (exact), money as
Decimal; values are exact Fractions compared with `Target.is_met_by` (equality meets).

`tally_contacts` is the REFERENCE tally: plain Python over `ContactRecord`s, slow and easy to
read. The fast polars tally (`slaengine.adapters.compute.tally`) must give the same counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from slaengine.domain.contract.calendars import BusinessCalendar
from slaengine.domain.contract.model import Calendar, ExclusionEvent, Objective
from slaengine.domain.evaluation.results import ExcludedDay

MICROSECONDS = 1_000_000
FigureValue = Fraction | None
Figures = tuple[FigureValue, int | Decimal | None, int | Decimal | None]


@dataclass(frozen=True)
class Counts:
    """Sums behind every KPI of one objective over some contacts; `+` adds them.

    offered: contacts in scope; abandoned_short: abandons with wait <= short_abandon;
    abandoned_late: abandons with wait > threshold; due: response_within contacts whose
    deadline has passed at as_of (pending: not yet); excluded: contacts of the objective's
    channels removed by exclusion events or excluded days (not in `offered`).
    """

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    abandoned_late: int = 0
    wait_us_answered: int = 0
    handle_us_answered: int = 0
    responded_within: int = 0
    due: int = 0
    pending: int = 0
    fcr_resolved: int = 0
    fcr_known: int = 0
    csat_satisfied: int = 0
    csat_given: int = 0
    promoters: int = 0
    detractors: int = 0
    nps_answers: int = 0
    excluded: int = 0
    cost: Decimal = Decimal("0")

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{
                item.name: getattr(self, item.name) + getattr(other, item.name)
                for item in fields(self)
            }
        )


def sum_counts(parts: Iterable[Counts]) -> Counts:
    """The sum of any number of Counts (Counts() when there are none)."""
    total = Counts()
    for part in parts:
        total = total + part
    return total


def denominator_count(objective: Objective, counts: Counts) -> int:
    """The denominator of service_level / answer_rate / abandonment_rate."""
    variant = objective.effective_denominator
    if variant == "offered":
        return counts.offered
    if variant == "offered_excluding_short_abandons":
        return counts.offered - counts.abandoned_short
    if variant == "answered_and_late_abandons":
        return counts.answered + counts.abandoned_late
    return counts.answered


def _ratio(numerator: int, denominator: int) -> Figures:
    value = Fraction(numerator, denominator) if denominator > 0 else None
    return value, numerator, denominator


def _mean_seconds(total_us: int, answered: int) -> Figures:
    seconds = Decimal(total_us) / MICROSECONDS
    value = Fraction(total_us, MICROSECONDS * answered) if answered > 0 else None
    return value, seconds, answered


def kpi_figures(objective: Objective, counts: Counts) -> Figures:
    """(value, numerator, denominator) of the objective's KPI; value None when nothing counts.

    Fractions are 0..1, average_* are seconds, nps is points (-100..100), cost_per_contact is
    money per answered contact (numerator the Decimal cost).
    """
    kpi = objective.kpi
    if kpi == "service_level":
        return _ratio(counts.answered_within, denominator_count(objective, counts))
    if kpi == "answer_rate":
        return _ratio(counts.answered, denominator_count(objective, counts))
    if kpi == "abandonment_rate":
        late = counts.abandoned - counts.abandoned_short
        return _ratio(late, denominator_count(objective, counts))
    if kpi == "average_speed_of_answer":
        return _mean_seconds(counts.wait_us_answered, counts.answered)
    if kpi == "average_handle_time":
        return _mean_seconds(counts.handle_us_answered, counts.answered)
    if kpi == "response_within":
        return _ratio(counts.responded_within, counts.due)
    if kpi == "first_contact_resolution":
        return _ratio(counts.fcr_resolved, counts.fcr_known)
    if kpi == "csat":
        return _ratio(counts.csat_satisfied, counts.csat_given)
    if kpi == "nps":
        net = counts.promoters - counts.detractors
        value = Fraction(100 * net, counts.nps_answers) if counts.nps_answers else None
        return value, net, counts.nps_answers
    value = Fraction(counts.cost) / counts.answered if counts.answered else None
    return value, counts.cost, counts.answered


def kpi_volume(objective: Objective, counts: Counts) -> int:
    """The number of contacts behind the figure (compared with min_volume)."""
    kpi = objective.kpi
    if kpi in ("service_level", "answer_rate", "abandonment_rate"):
        return counts.offered
    if kpi in ("average_speed_of_answer", "average_handle_time", "cost_per_contact"):
        return counts.answered
    if kpi == "response_within":
        return counts.due
    if kpi == "first_contact_resolution":
        return counts.fcr_known
    if kpi == "csat":
        return counts.csat_given
    return counts.nps_answers


# ---------------------------------------------------------------- reference tally


@dataclass(frozen=True)
class ContactRecord:
    """One contact of the contacts feed (SPEC section 2), times aware."""

    contact_id: str
    channel: str
    arrived_at: datetime
    answered_at: datetime | None = None
    abandoned_at: datetime | None = None
    handle_seconds: float | None = None
    resolved_first_contact: bool | None = None
    csat: int | None = None
    nps: int | None = None
    queue: str = "default"


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * MICROSECONDS + span.microseconds


def is_excluded(
    record: ContactRecord,
    local_day: date,
    events: Iterable[ExclusionEvent],
    excluded_days: Iterable[ExcludedDay],
) -> bool:
    """Inside a declared event for its channel and queue ([from, to)), or on an excluded
    day/channel."""
    for event in events:
        channels, queues = event.channels, event.queues
        if (
            (channels is None or record.channel in channels)
            and (queues is None or record.queue in queues)
            and event.start <= record.arrived_at < event.end
        ):
            return True
    return any(day.day == local_day and day.channel == record.channel for day in excluded_days)


def _deadline(
    objective: Objective, calendar: BusinessCalendar | None, arrived_at: datetime
) -> datetime:
    seconds = objective.threshold.seconds if objective.threshold else 0
    if objective.effective_clock == "business" and calendar is not None:
        return calendar.deadline(arrived_at, seconds)
    return arrived_at + timedelta(seconds=seconds)


def count_contact(
    objective: Objective,
    record: ContactRecord,
    *,
    as_of: datetime,
    calendar: BusinessCalendar | None,
) -> Counts:
    """The Counts of one contact in scope (after channel, calendar and exclusion checks)."""
    values: dict[str, Any] = {"offered": 1}
    threshold_us = objective.threshold.seconds * MICROSECONDS if objective.threshold else None
    if record.answered_at is not None:
        wait = _microseconds(record.answered_at - record.arrived_at)
        values["answered"] = 1
        values["wait_us_answered"] = wait
        values["handle_us_answered"] = round((record.handle_seconds or 0.0) * MICROSECONDS)
        values["answered_within"] = int(threshold_us is not None and wait <= threshold_us)
    elif record.abandoned_at is not None:
        wait = _microseconds(record.abandoned_at - record.arrived_at)
        short = objective.short_abandon
        values["abandoned"] = 1
        values["abandoned_short"] = int(short is not None and wait <= short.seconds * MICROSECONDS)
        late = wait > threshold_us if threshold_us is not None else not values["abandoned_short"]
        values["abandoned_late"] = int(late)
    if objective.kpi == "response_within":
        deadline = _deadline(objective, calendar, record.arrived_at)
        if as_of > deadline:
            values["due"] = 1
            answered = record.answered_at
            values["responded_within"] = int(
                answered is not None and answered <= as_of and answered <= deadline
            )
        else:
            values["pending"] = 1
    _count_answers(record, objective, values)
    return Counts(**values)


def _count_answers(record: ContactRecord, objective: Objective, values: dict[str, Any]) -> None:
    if record.resolved_first_contact is not None:
        values["fcr_known"] = 1
        values["fcr_resolved"] = int(record.resolved_first_contact)
    if record.csat is not None:
        values["csat_given"] = 1
        values["csat_satisfied"] = int(record.csat >= objective.effective_satisfied_from)
    if record.nps is not None:
        values["nps_answers"] = 1
        values["promoters"] = int(record.nps >= 9)
        values["detractors"] = int(record.nps <= 6)


def selecting_calendar(
    objective: Objective, calendars: Mapping[str, Calendar | BusinessCalendar], zone: ZoneInfo
) -> BusinessCalendar | None:
    """The objective's calendar as a BusinessCalendar (None when it names none)."""
    if objective.calendar is None:
        return None
    calendar = calendars.get(objective.calendar)
    if calendar is None:
        known = ", ".join(sorted(calendars)) or "none"
        raise ValueError(
            f"objective {objective.id} names calendar {objective.calendar!r} (calendars: {known})"
        )
    if isinstance(calendar, BusinessCalendar):
        return calendar
    return BusinessCalendar(calendar, zone, objective.calendar)


def tally_contacts(
    objective: Objective,
    contacts: Iterable[ContactRecord],
    zone: ZoneInfo,
    calendars: Mapping[str, Calendar | BusinessCalendar],
    *,
    as_of: datetime,
    events: Iterable[ExclusionEvent] = (),
    excluded_days: Iterable[ExcludedDay] = (),
) -> dict[date, Counts]:
    """Counts per local arrival day (in `zone`) of the objective's contacts (reference).

    Calendar selection (contacts arriving while open) applies to every kpi but
    response_within, whose calendar runs the business clock instead. Days with no contact
    of the objective's channels are absent.
    """
    calendar = selecting_calendar(objective, calendars, zone)
    events, excluded_days = tuple(events), tuple(excluded_days)
    channels = set(objective.channels)
    daily: dict[date, Counts] = {}
    for record in contacts:
        if record.channel not in channels:
            continue
        selects = objective.kpi != "response_within" and calendar is not None
        if selects and calendar is not None and not calendar.is_open(record.arrived_at):
            continue
        day = record.arrived_at.astimezone(zone).date()
        if is_excluded(record, day, events, excluded_days):
            counts = Counts(excluded=1)
        else:
            counts = count_contact(objective, record, as_of=as_of, calendar=calendar)
        daily[day] = daily.get(day, Counts()) + counts
    return daily
