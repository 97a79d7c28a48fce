"""The fast tally: the reference `tally_contacts` as polars expressions over a contacts frame.

The frame has (at least) the `TALLIED` columns of `feed_repo.contacts_frame` (times
Datetime("us", "UTC")), in any row order. Every objective of a contract is tallied in one
pass (`group_contacts`). Where in time a contact arrived (its local day, the open flag of each
selecting calendar, inside an exclusion event's times) is the same for every contact of a
stretch of time between the instants where one of them can change (clock.Stretches), so the
contacts are grouped by (stretch, channel, outcome) in one streaming group_by, the outcome
being the status (answered, abandoned, neither) and how many of the objectives' thresholds its
wait exceeds, with the sums of waits, handling times and survey answers; the stretches then
get their day and flags, and the groups are added up per (day, channel, flags, outcome): a few
thousand groups a month. Each objective's daily Counts are then sums over its groups
(`daily_counts`), which is also where volume-band excluded days apply. Response deadlines are
computed for the contacts of the response_within objectives' channels only (business
positions, clock.OpenTimeline).

The property test in tests/test_tally.py holds this module to the reference tally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from slaengine.adapters.compute.clock import (
    OpenTimeline,
    Stretches,
    local_date,
    moment,
    offsets,
    us,
)
from slaengine.domain.contract.calendars import HORIZON_DAYS, BusinessCalendar
from slaengine.domain.contract.model import Calendar, ExclusionEvent, Objective
from slaengine.domain.evaluation.kpis import MICROSECONDS, Counts, selecting_calendar
from slaengine.domain.evaluation.results import ExcludedDay

# The columns a tally reads (a narrower read than the whole contacts frame).
TALLIED = (
    "channel", "arrived_at", "answered_at", "abandoned_at", "handle_seconds",
    "resolved_first_contact", "csat", "nps",
)  # fmt: skip


def tallied_columns(events: Iterable[ExclusionEvent]) -> tuple[str, ...]:
    """TALLIED, plus `queue` when an exclusion event names queues (read only when needed)."""
    if any(event.queues is not None for event in events):
        return (*TALLIED, "queue")
    return TALLIED


def benchmark_calendars(
    calendars: Mapping[str, Calendar], zone: ZoneInfo
) -> dict[str, BusinessCalendar]:
    """BusinessCalendars for a definition set (built once, their day caches shared)."""
    return {name: BusinessCalendar(calendar, zone, name) for name, calendar in calendars.items()}


# ------------------------------------------------------------------ one pass, all objectives

_ANSWERED, _ABANDONED = 1, 2  # `status` of a contact (0: neither)
_OUTCOMES = ("status", "bucket")  # the group keys besides time and place


@dataclass(frozen=True)
class _Plan:
    """One objective's parameters, as `daily_counts` reads them off the groups."""

    objective_id: str
    channels: tuple[str, ...]
    open: str | None  # the open flag selecting its contacts (calendar selection)
    threshold_us: int | None
    short_us: int | None
    satisfied_from: int
    response: str | None  # its key in ContactGroups.responses (response_within)


@dataclass(frozen=True)
class ContactGroups:
    """Contacts counted once for several objectives (`group_contacts`).

    `groups` counts contacts per (local day, channel, open flag of each selecting calendar,
    in an exclusion event) and per outcome: `status` (answered, abandoned, neither) and
    `bucket`, how many of the `cutoffs` its wait to answer or to abandon exceeds. It also sums
    the waits and handling times of the answered ones and counts the answers to the surveys
    (`sums`: first-contact resolution, csat from each plan's satisfied_from, nps classes).
    `responses` holds, per response_within objective, its due and answered in time contacts
    per (day, channel, flags). Both are empty when no contact was given.
    """

    groups: pl.DataFrame
    responses: dict[str, pl.DataFrame]
    plans: tuple[_Plan, ...]
    cutoffs: tuple[int, ...]  # every threshold and short-abandon length, ascending
    in_event: bool
    sums: tuple[str, ...]  # the summed columns of `groups`


def _plan(objective: Objective, calendar: BusinessCalendar | None, index: int) -> _Plan:
    selects = objective.kpi != "response_within" and calendar is not None
    return _Plan(
        objective.id,
        tuple(objective.channels),
        f"open_{objective.calendar}" if selects else None,
        objective.threshold.seconds * MICROSECONDS if objective.threshold else None,
        objective.short_abandon.seconds * MICROSECONDS if objective.short_abandon else None,
        objective.effective_satisfied_from,
        str(index) if objective.kpi == "response_within" else None,
    )


def _exceeded(wait: pl.Expr, limits: Sequence[int]) -> pl.Expr:
    """How many of the limits (ascending) the wait exceeds."""
    if not limits:
        return pl.lit(0)
    chain: Any = pl.when(wait <= limits[0]).then(0)
    for index, limit in enumerate(limits[1:], start=1):
        chain = chain.when(wait <= limit).then(index)
    return chain.otherwise(len(limits))  # type: ignore[no-any-return]


def _epoch(name: str) -> pl.Expr:
    return pl.col(name).dt.epoch("us")


def _outcome_keys(cutoffs: Sequence[int]) -> list[pl.Expr]:
    """Per contact: status, and the bucket of its wait to the answer, else to the abandon
    (0 when neither)."""
    answered = pl.col("answered_at").is_not_null()
    abandoned = pl.col("abandoned_at").is_not_null()
    waited = pl.coalesce("answered_at", "abandoned_at", "arrived_at").dt.epoch("us")
    return [
        pl.when(answered).then(_ANSWERED).when(abandoned).then(_ABANDONED).otherwise(0)
        .cast(pl.Int8).alias("status"),
        _exceeded(waited - _epoch("arrived_at"), cutoffs).cast(pl.Int8).alias("bucket"),
    ]  # fmt: skip


def _sums(plans: Sequence[_Plan]) -> list[pl.Expr]:
    """Per group: contacts, the waits to the answer (of answered contacts: null otherwise),
    handling times (kept for the answered groups only, by `_answered_handling`) and the
    answers to the surveys, counted (a csat count per satisfied_from of the plans)."""
    handle = (pl.col("handle_seconds") * MICROSECONDS).round(0).cast(pl.Int64)
    fcr, csat, nps = pl.col("resolved_first_contact"), pl.col("csat"), pl.col("nps")
    satisfied = sorted({plan.satisfied_from for plan in plans})
    counted = {
        "n": pl.len(),
        "wait_us": (_epoch("answered_at") - _epoch("arrived_at")).sum(),
        "handle_us": handle.sum(),
        "fcr_resolved": fcr.sum(),
        "fcr_known": fcr.count(),
        "csat_given": csat.count(),
        **{f"csat_from_{score}": (csat >= score).sum() for score in satisfied},
        "promoters": (nps >= 9).sum(),
        "detractors": (nps <= 6).sum(),
        "nps_answers": nps.count(),
    }
    return [value.cast(pl.Int64).alias(name) for name, value in counted.items()]


def _answered_handling() -> pl.Expr:
    return (
        pl.when(pl.col("status") == _ANSWERED).then(pl.col("handle_us")).otherwise(0)
        .alias("handle_us")
    )  # fmt: skip


def _response_flags(
    objective: Objective,
    calendar: BusinessCalendar | None,
    as_of: datetime,
    days: tuple[date, date],
) -> tuple[dict[str, pl.Expr], pl.Expr, pl.Expr]:
    """For a response_within objective: the columns to compute first (business positions),
    then per contact due and responded within (within implies due); `days` are the first and
    last local arrival days of the contacts tallied."""
    threshold = objective.threshold.seconds * MICROSECONDS if objective.threshold else 0
    as_of_us = us(as_of.astimezone(UTC))
    arrived, answered = _epoch("arrived_at"), _epoch("answered_at")
    answered_known = answered.is_not_null() & (answered <= as_of_us)
    if objective.effective_clock == "business" and calendar is not None:
        timeline = OpenTimeline.build(calendar, days[0], _latest(as_of, days, calendar))
        first = {"_start": timeline.position(arrived), "_answer": timeline.position(answered)}
        start = pl.col("_start")
        due = (timeline.position_of(as_of_us) - start) > threshold
        within = answered_known & ((pl.col("_answer") - start) <= threshold)
    else:
        first = {}
        due = (arrived + threshold) < as_of_us
        within = answered_known & (answered <= arrived + threshold)
    return first, due.fill_null(False), within.fill_null(False)


def _latest(as_of: datetime, days: tuple[date, date], calendar: BusinessCalendar) -> date:
    """The last local day a business clock needs: as_of's, within the horizon after the last
    arrival. Positions past its end do not matter: a contact arriving after as_of is not due,
    and an answer after as_of is not known."""
    return min(as_of.astimezone(calendar.zone).date(), days[1] + timedelta(days=HORIZON_DAYS))


def _in_channels(channels: Sequence[str]) -> pl.Expr:
    """The contact's channel is one of `channels` (a few equalities beat `is_in` on text)."""
    if not channels or len(channels) > 3:
        return pl.col("channel").is_in(list(channels))
    return pl.any_horizontal(pl.col("channel") == channel for channel in channels)


@dataclass(frozen=True)
class _Places:
    """Where in time the contacts of [first, last] arrived: the stretches of time that share
    a local day, open flags (`opens`, per selecting calendar) and exclusion-event times
    (`events`, those overlapping), so that each contact only needs its stretch number."""

    stretches: Stretches
    pieces: list[tuple[int, int]]  # the zone's UTC offsets (clock.offsets)
    opens: dict[str, OpenTimeline]
    events: tuple[ExclusionEvent, ...]

    @classmethod
    def of(
        cls, first_us: int, last_us: int, zone: ZoneInfo, opens: dict[str, OpenTimeline],
        events: Iterable[ExclusionEvent],
    ) -> _Places:  # fmt: skip
        spans = [(us(e.start.astimezone(UTC)), us(e.end.astimezone(UTC)), e) for e in events]
        overlapping = tuple(e for start, end, e in spans if start <= last_us and end > first_us)
        changes = [t for start, end, _ in spans for t in (start, end)]
        for timeline in opens.values():
            changes.extend(timeline.bounds)
        pieces = offsets(zone, first_us, last_us)
        return cls(Stretches.cut(first_us, last_us, pieces, changes), pieces, opens, overlapping)

    def keys(self) -> list[str]:
        """The group keys of time and place: day, channel, open flags, in_event (if any)."""
        return ["day", "channel", *self.opens, *(["in_event"] if self.events else [])]

    def stretch(self) -> pl.Expr:
        return self.stretches.key(_epoch("arrived_at")).alias("stretch")

    def by_queue(self) -> list[str]:
        """`queue` when an overlapping event names queues (the frame then carries it)."""
        return ["queue"] if any(e.queues is not None for e in self.events) else []

    def placed(
        self, found: pl.LazyFrame, sums: Sequence[str], classes: Sequence[pl.Expr] = (),
        outcomes: Sequence[str] = (),
    ) -> pl.LazyFrame:  # fmt: skip
        """`found` (grouped by stretch, channel and queue if any) grouped by `keys` and
        `outcomes` instead, its `sums` added up (`classes` computed on it first). Each
        stretch's day and flags are looked up by its number (no join)."""
        stretch = pl.col("stretch")
        looked_up = {name: pl.lit(values).gather(stretch) for name, values in self._table()}
        placed = found.with_columns(**looked_up).with_columns(classes)
        if self.events:
            placed = placed.with_columns(self._in_event())
        grouped = placed.group_by(*self.keys(), *outcomes)
        return grouped.agg(pl.col(name).sum() for name in sums)

    def _table(self) -> list[tuple[str, pl.Series]]:
        """Per stretch (by number): its local day, open flags and whether it lies in each
        event, worked out at an instant of it (a few hundred stretches a month)."""
        starts = self.stretches.starts()
        days = [local_date(self.pieces, start) for start in starts]
        table = [("day", pl.Series(days, dtype=pl.Date))]
        for name, timeline in self.opens.items():
            table.append((name, pl.Series([timeline.open_at(t) for t in starts], dtype=pl.Boolean)))
        for index, event in enumerate(self.events):
            low, high = us(event.start.astimezone(UTC)), us(event.end.astimezone(UTC))
            inside = [low <= start < high for start in starts]
            table.append((f"_event{index}", pl.Series(inside, dtype=pl.Boolean)))
        return table

    def _in_event(self) -> pl.Expr:
        """Contacts arriving inside an exclusion event of their channel (and queue)."""
        mask = pl.lit(False)
        for index, event in enumerate(self.events):
            inside = pl.col(f"_event{index}")
            if event.channels is not None:
                inside = inside & pl.col("channel").is_in(list(event.channels))
            if event.queues is not None:
                inside = inside & pl.col("queue").is_in(list(event.queues))
            mask = mask | inside
        return mask.fill_null(False).alias("in_event")


def group_contacts(
    frame: pl.DataFrame,
    objectives: Sequence[Objective],
    zone: ZoneInfo,
    calendars: Mapping[str, Calendar | BusinessCalendar],
    *,
    as_of: datetime,
    events: Iterable[ExclusionEvent] = (),
) -> ContactGroups:
    """The contacts counted once for all `objectives` (`daily_counts` gives their counts).

    `frame` has (at least) the TALLIED columns, in any row order. Raises ValueError when an
    objective names a calendar that `calendars` lacks.
    """
    chosen = [(o, selecting_calendar(o, calendars, zone)) for o in objectives]
    plans = tuple(_plan(o, calendar, i) for i, (o, calendar) in enumerate(chosen))
    cutoffs = tuple(sorted({p.threshold_us for p in plans if p.threshold_us is not None}
                           | {p.short_us for p in plans if p.short_us is not None}))  # fmt: skip
    if frame.height == 0:
        return ContactGroups(pl.DataFrame(), {}, plans, cutoffs, in_event=False, sums=())
    arrived = frame.get_column("arrived_at").dt.epoch("us")
    first_us, last_us = int(arrived.min()), int(arrived.max())  # type: ignore[arg-type]
    days = (moment(first_us).astimezone(zone).date(), moment(last_us).astimezone(zone).date())
    opens = {
        plan.open: OpenTimeline.build(calendar, *days)
        for (_objective, calendar), plan in zip(chosen, plans, strict=True)
        if plan.open is not None and calendar is not None
    }
    places = _Places.of(first_us, last_us, zone, opens, events)
    sums = _sums(plans)
    found = (
        frame.lazy()
        .group_by(places.stretch(), "channel", *places.by_queue(), *_outcome_keys(cutoffs))
        .agg(sums)
    )
    names = tuple(total.meta.output_name() for total in sums)
    placed = places.placed(found, names, [_answered_handling()], _OUTCOMES)
    # the streaming engine: a third of the in-memory engine's time (no group indices)
    groups = placed.collect(engine="streaming")
    responses = {
        plan.response: _responses(frame, places, objective, calendar, as_of, days)
        for (objective, calendar), plan in zip(chosen, plans, strict=True)
        if plan.response is not None
    }
    return ContactGroups(groups, responses, plans, cutoffs, bool(places.events), names)


def _responses(
    frame: pl.DataFrame, places: _Places, objective: Objective,
    calendar: BusinessCalendar | None, as_of: datetime, days: tuple[date, date],
) -> pl.DataFrame:  # fmt: skip
    """A response_within objective's own contacts, due and responded in time, per keys."""
    first, due, within = _response_flags(objective, calendar, as_of, days)
    by = ["stretch", "channel", *places.by_queue()]
    found = (
        frame.lazy()
        .filter(_in_channels(objective.channels))
        .with_columns(**first)
        .with_columns(due.alias("due"))
        .select(places.stretch(), *by[1:], "due", (pl.col("due") & within).alias("responded"))
        .group_by(by)
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("due", "responded").cast(pl.Int64).sum())
    )  # fmt: skip
    return places.placed(found, ("n", "due", "responded")).collect(engine="streaming")


def merge_groups(parts: Sequence[ContactGroups]) -> ContactGroups:
    """The groups of contacts counted in slices (`group_contacts` on each, same objectives),
    as if counted at once: every sum is a count or a sum of whole microseconds, so adding the
    slices' sums per group is exact."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    in_event = any(part.in_event for part in parts)
    frames = [part.groups for part in parts if part.groups.height]
    if not frames:
        return first
    responses = {
        name: _summed([part.responses[name] for part in parts if name in part.responses],
                      ("n", "due", "responded"), in_event)
        for name in {name for part in parts for name in part.responses}
    }  # fmt: skip
    sums = next(part.sums for part in parts if part.groups.height)
    groups = _summed(frames, sums, in_event)
    return ContactGroups(groups, responses, first.plans, first.cutoffs, in_event, sums)


def _summed(frames: Sequence[pl.DataFrame], sums: tuple[str, ...], in_event: bool) -> pl.DataFrame:
    """Frames of (keys..., sums...) added up per key (a missing `in_event` is False)."""
    if in_event:
        frames = [
            f if "in_event" in f.columns else f.with_columns(pl.lit(False).alias("in_event"))
            for f in frames
        ]
    joined = pl.concat(frames, how="diagonal")
    keys = [name for name in joined.columns if name not in sums]
    return joined.group_by(keys, maintain_order=True).agg(
        pl.col(name).sum().cast(joined.schema[name]) for name in sums
    )


def contacts_per_day(grouped: ContactGroups) -> dict[tuple[date, str], int]:
    """Contacts per (local day, channel), whatever the calendars and exclusions."""
    if grouped.groups.height == 0:
        return {}
    totals = grouped.groups.group_by("day", "channel").agg(pl.col("n").sum())
    return {(day, channel): int(n) for day, channel, n in totals.iter_rows()}


def _excluded(grouped: ContactGroups, excluded_days: Iterable[ExcludedDay]) -> pl.Expr:
    mask = pl.col("in_event") if grouped.in_event else pl.lit(False)
    for day in excluded_days:
        mask = mask | ((pl.col("day") == day.day) & (pl.col("channel") == day.channel))
    return mask


_SURVEY_COUNTS = (
    "fcr_resolved", "fcr_known", "csat_given", "promoters", "detractors", "nps_answers",
)  # fmt: skip
_COUNT_FIELDS = (
    "offered", "answered", "answered_within", "abandoned", "abandoned_short", "abandoned_late",
    "wait_us_answered", "handle_us_answered", "responded_within", "due", "pending",
    "fcr_resolved", "fcr_known", "csat_satisfied", "csat_given", "promoters", "detractors",
    "nps_answers", "excluded",
)  # fmt: skip


def _counts(grouped: ContactGroups, plan: _Plan, excluded: pl.Expr) -> dict[str, pl.Expr]:
    """The objective's Counts fields over its groups (but due, pending, responded_within)."""
    kept = ~excluded

    def n_where(condition: pl.Expr) -> pl.Expr:
        return pl.when(kept & condition).then(pl.col("n")).otherwise(0)

    def kept_sum(name: str) -> pl.Expr:
        return pl.when(kept).then(pl.col(name)).otherwise(0)

    status, bucket = pl.col("status"), pl.col("bucket")
    answered, abandoned = status == _ANSWERED, status == _ABANDONED
    zero = pl.lit(0, dtype=pl.Int64)
    found = {
        "offered": n_where(pl.lit(True)),
        "answered": n_where(answered),
        "answered_within": zero,
        "abandoned": n_where(abandoned),
        "abandoned_short": zero,
        "abandoned_late": n_where(abandoned),
        "wait_us_answered": kept_sum("wait_us"),
        "handle_us_answered": kept_sum("handle_us"),
        "csat_satisfied": kept_sum(f"csat_from_{plan.satisfied_from}"),
        **{name: kept_sum(name) for name in _SURVEY_COUNTS},
        "excluded": pl.when(excluded).then(pl.col("n")).otherwise(0),
    }
    if plan.short_us is not None:
        short = grouped.cutoffs.index(plan.short_us)
        found["abandoned_short"] = n_where(abandoned & (bucket <= short))
        found["abandoned_late"] = n_where(abandoned & (bucket > short))  # abandons not short
    if plan.threshold_us is not None:
        within = grouped.cutoffs.index(plan.threshold_us)
        found["answered_within"] = n_where(answered & (bucket <= within))
        found["abandoned_late"] = n_where(abandoned & (bucket > within))
    return found


def _columns(values: Mapping[str, pl.Expr]) -> list[pl.Expr]:
    zero = pl.lit(0, dtype=pl.Int64)
    return [values.get(name, zero).cast(pl.Int64).alias(name) for name in _COUNT_FIELDS]


def _objective_parts(
    grouped: ContactGroups, index: int, plan: _Plan, excluded: pl.Expr
) -> list[pl.LazyFrame]:
    """The objective's Counts fields per group, tagged with its index (`_plan`)."""
    scope = _in_channels(plan.channels)
    if plan.open is not None:
        scope = scope & pl.col(plan.open)
    tag = pl.lit(index).alias("_plan")
    counts = _columns(_counts(grouped, plan, excluded))
    parts = [grouped.groups.lazy().filter(scope).select(tag, "day", *counts)]
    if plan.response is not None:
        kept = ~excluded
        answers = {
            "due": pl.when(kept).then(pl.col("due")).otherwise(0),
            "pending": pl.when(kept).then(pl.col("n") - pl.col("due")).otherwise(0),
            "responded_within": pl.when(kept).then(pl.col("responded")).otherwise(0),
        }
        responses = grouped.responses[plan.response].lazy().filter(scope)
        parts.append(responses.select(tag, "day", *_columns(answers)))
    return parts


def daily_counts(
    grouped: ContactGroups, excluded_days: Iterable[ExcludedDay] = ()
) -> dict[str, dict[date, Counts]]:
    """Per objective id, its Counts per local arrival day; equals `tally_contacts`.

    Days with no contact of the objective (in its channels and, where its calendar selects,
    open) are absent; contacts on `excluded_days` (or in an exclusion event) of their channel
    count only as `excluded`.
    """
    daily: dict[str, dict[date, Counts]] = {plan.objective_id: {} for plan in grouped.plans}
    if grouped.groups.height == 0:
        return daily
    excluded = _excluded(grouped, list(excluded_days))
    parts = [
        part
        for index, plan in enumerate(grouped.plans)
        for part in _objective_parts(grouped, index, plan, excluded)
    ]
    summed = pl.concat(parts).group_by("_plan", "day").agg(pl.all().sum()).sort("_plan", "day")
    for index, day, *values in summed.collect().iter_rows():
        counts: dict[str, Any] = dict(zip(_COUNT_FIELDS, map(int, values), strict=True))
        daily[grouped.plans[index].objective_id][day] = Counts(**counts)
    return daily


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

    For several objectives over the same contacts, `group_contacts` once and `daily_counts`
    cost about as much as this does for one. Raises ValueError when the objective names a
    calendar that `calendars` lacks.
    """
    events = tuple(events)
    scoped = frame.select(tallied_columns(events)).filter(_in_channels(objective.channels))
    grouped = group_contacts(scoped, [objective], zone, calendars, as_of=as_of, events=events)
    return daily_counts(grouped, excluded_days)[objective.id]
