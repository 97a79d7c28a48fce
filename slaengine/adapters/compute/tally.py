"""The fast tally: the reference `tally_contacts` as polars expressions over a contacts frame.

The frame has (at least) the `TALLIED` columns of `feed_repo.contacts_frame` (times
Datetime("us", "UTC")), in any row order. Every objective of a contract is tallied in one
pass (`group_contacts`): each contact's local day, the open flag of each selecting calendar,
the exclusion-event flag and its outcome (answered or abandoned, and how many of the
objectives' thresholds its wait exceeds; fcr, csat, nps class) are computed once, and the
contacts are counted per distinct combination (a few thousand groups a month). Each
objective's daily Counts are then sums over its groups (`daily_counts`), which is also where
volume-band excluded days apply. Response deadlines are computed for the contacts of the
response_within objectives' channels only.

Calendar selection and business clocks are vectorised: the open intervals of every local day
involved (from `BusinessCalendar.open_intervals`) are laid end to end, and an instant's
"business position" is the open time elapsed before it (prefix sums + search_sorted), so
business seconds between two instants is a difference of positions, exact in microseconds.
Local days come from the zone's UTC offsets (zoneinfo, as the reference), not a per-row
time-zone conversion. The property test in tests/test_tally.py holds this module to the
reference tally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from slaengine.domain.contract.calendars import HORIZON_DAYS, BusinessCalendar
from slaengine.domain.contract.model import Calendar, ExclusionEvent, Objective
from slaengine.domain.evaluation.kpis import MICROSECONDS, Counts, selecting_calendar
from slaengine.domain.evaluation.results import ExcludedDay

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR_US = 3_600 * MICROSECONDS
_DAY_US = 86_400 * MICROSECONDS

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


def _us(instant: datetime) -> int:
    span = instant - _EPOCH
    return (span.days * 86_400 + span.seconds) * MICROSECONDS + span.microseconds


def _moment(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


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
        return self.starts.search_sorted(instants, side="right").cast(pl.Int64) - 1

    def is_open(self, instants: pl.Series) -> pl.Series:
        """Open at each instant: with starts and ends interleaved (sorted, as the intervals
        are disjoint), an instant is open exactly when an odd number of them are at or
        before it."""
        bounds = pl.concat([self.starts, self.ends]).gather(self._interleaved())
        return (bounds.search_sorted(instants, side="right") % 2) == 1

    def _interleaved(self) -> pl.Series:
        count = self.starts.len()
        order = [i // 2 + (count if i % 2 else 0) for i in range(2 * count)]
        return pl.Series(order, dtype=pl.Int64)

    def position(self, instants: pl.Series) -> pl.Series:
        """Open microseconds elapsed from the timeline's start to each instant."""
        if self.starts.len() == 0:
            return pl.Series([0] * instants.len(), dtype=pl.Int64)
        index = self._index(instants)
        safe = index.clip(0, None)
        starts, ends = self.starts.gather(safe), self.ends.gather(safe)
        inside = pl.select(pl.min_horizontal(instants, ends) - starts).to_series()
        before = self.before.gather(safe)
        return pl.select(pl.when(index >= 0).then(before + inside).otherwise(0)).to_series()

    def position_of(self, instant_us: int) -> int:
        index = self.starts.search_sorted(instant_us, side="right") - 1
        if index < 0:
            return 0
        inside = min(instant_us, int(self.ends[index])) - int(self.starts[index])
        return int(self.before[index]) + inside


# ------------------------------------------------------------------ local days


def _offset_us(zone: ZoneInfo, us: int) -> int:
    offset = _moment(us).astimezone(zone).utcoffset()
    assert offset is not None
    return _us(_EPOCH + offset)


def _offsets(zone: ZoneInfo, first_us: int, last_us: int) -> list[tuple[int, int]]:
    """(from us, UTC offset us) pieces covering [first, last]: the zone sampled hourly, each
    change located to the microsecond (no zone changes its offset twice within an hour)."""
    pieces = [(first_us, _offset_us(zone, first_us))]
    low = first_us
    while low < last_us:
        high = min(low - low % _HOUR_US + _HOUR_US, last_us)
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


def _local_day(arrived_us: pl.Expr, zone: ZoneInfo, first_us: int, last_us: int) -> pl.Expr:
    """The local date (in `zone`) of epoch microseconds within [first, last]."""
    pieces = _offsets(zone, first_us, last_us)
    offset: Any = pl.lit(pieces[0][1])
    if len(pieces) > 1:
        chain: Any = pl.when(arrived_us < pieces[1][0]).then(offset)
        for (start, _), (_, value) in zip(pieces[2:], pieces[1:-1], strict=True):
            chain = chain.when(arrived_us < start).then(pl.lit(value))
        offset = chain.otherwise(pl.lit(pieces[-1][1]))
    day: pl.Expr = ((arrived_us + offset) // _DAY_US).cast(pl.Int32).cast(pl.Date)
    return day


# ------------------------------------------------------------------ one pass, all objectives

_ANSWERED, _ABANDONED = 1, 2  # `status` of a contact (0: neither)
_PROMOTER, _DETRACTOR, _PASSIVE = 1, 2, 3  # `nps_class` (0: no answer)


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
    `bucket`, how many of the `waits` (answered) or `cutoffs` (abandoned) thresholds the wait
    exceeds; first-contact resolution, csat score and nps class. It also sums waits and
    handling times. `responses` holds, per response_within objective, its due and answered
    in time contacts per (day, channel, flags). Both are empty when no contact was given.
    """

    groups: pl.DataFrame
    responses: dict[str, pl.DataFrame]
    plans: tuple[_Plan, ...]
    waits: tuple[int, ...]
    cutoffs: tuple[int, ...]
    in_event: bool


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


def _wait() -> pl.Expr:
    return pl.col("answered_at").dt.epoch("us") - pl.col("arrived_at").dt.epoch("us")


def _abandon_wait() -> pl.Expr:
    return pl.col("abandoned_at").dt.epoch("us") - pl.col("arrived_at").dt.epoch("us")


def _exceeded(wait: pl.Expr, limits: Sequence[int]) -> pl.Expr:
    """How many of the limits (ascending) the wait exceeds."""
    if not limits:
        return pl.lit(0)
    chain: Any = pl.when(wait <= limits[0]).then(0)
    for index, limit in enumerate(limits[1:], start=1):
        chain = chain.when(wait <= limit).then(index)
    return chain.otherwise(len(limits))  # type: ignore[no-any-return]


def _outcome_keys(waits: Sequence[int], cutoffs: Sequence[int]) -> list[pl.Expr]:
    answered = pl.col("answered_at").is_not_null()
    abandoned = pl.col("abandoned_at").is_not_null()
    nps = pl.col("nps")
    return [
        pl.when(answered).then(_ANSWERED).when(abandoned).then(_ABANDONED).otherwise(0)
        .cast(pl.Int8).alias("status"),
        pl.when(answered).then(_exceeded(_wait(), waits))
        .when(abandoned).then(_exceeded(_abandon_wait(), cutoffs))
        .otherwise(0).cast(pl.Int8).alias("bucket"),
        pl.col("resolved_first_contact").alias("fcr"),
        pl.col("csat").alias("csat_score"),
        pl.when(nps >= 9).then(_PROMOTER).when(nps <= 6).then(_DETRACTOR)
        .when(nps.is_not_null()).then(_PASSIVE).otherwise(0).cast(pl.Int8).alias("nps_class"),
    ]  # fmt: skip


def _sums() -> list[pl.Expr]:
    answered = pl.col("answered_at").is_not_null()
    handle = (pl.col("handle_seconds").fill_null(0.0) * MICROSECONDS).round(0).cast(pl.Int64)
    return [
        pl.len().cast(pl.Int64).alias("n"),
        pl.when(answered).then(_wait()).otherwise(0).cast(pl.Int64).sum().alias("wait_us"),
        pl.when(answered).then(handle).otherwise(0).sum().alias("handle_us"),
    ]


def _response_flags(
    rows: pl.DataFrame,
    objective: Objective,
    calendar: BusinessCalendar | None,
    as_of: datetime,
    days: tuple[date, date],
) -> tuple[pl.Series, pl.Series]:
    """(due, responded within) per contact of `rows` for a response_within objective;
    `days` are the first and last local arrival days of all the contacts tallied."""
    threshold = objective.threshold.seconds * MICROSECONDS if objective.threshold else 0
    as_of_us = _us(as_of.astimezone(UTC))
    arrived = rows.get_column("arrived_at").dt.epoch("us")
    answered = rows.get_column("answered_at").dt.epoch("us")
    answered_known = answered.is_not_null() & (answered <= as_of_us)
    if objective.effective_clock == "business" and calendar is not None:
        timeline = _OpenTimeline.build(calendar, days[0], _latest(answered, as_of, days, calendar))
        start = timeline.position(arrived)
        spent_at_answer = timeline.position(answered.fill_null(0)) - start
        due = (timeline.position_of(as_of_us) - start) > threshold
        within = answered_known & (spent_at_answer <= threshold)
    else:
        due = (arrived + threshold) < as_of_us
        within = answered_known & (answered <= arrived + threshold)
    due = due.fill_null(False)
    return due, within.fill_null(False) & due


def _latest(
    answered: pl.Series, as_of: datetime, days: tuple[date, date], calendar: BusinessCalendar
) -> date:
    """The last local day a business clock needs: as_of's or the last answer's, within the
    horizon after the last arrival (a longer timeline changes no position before its end)."""
    latest = as_of.astimezone(calendar.zone).date()
    last_answer = answered.max()
    if last_answer is not None:
        latest = max(latest, _moment(int(last_answer)).astimezone(calendar.zone).date())  # type: ignore[arg-type]
    return min(latest, days[1] + timedelta(days=HORIZON_DAYS))


def _in_channels(channels: Sequence[str]) -> pl.Expr:
    """The contact's channel is one of `channels` (a few equalities beat `is_in` on text)."""
    if not channels or len(channels) > 3:
        return pl.col("channel").is_in(list(channels))
    return pl.any_horizontal(pl.col("channel") == channel for channel in channels)


def _in_event(events: Sequence[ExclusionEvent], first_us: int, last_us: int) -> pl.Expr | None:
    """Contacts arriving inside an exclusion event of their channel (None: no event overlaps)."""
    mask: pl.Expr | None = None
    for event in events:
        start, end = event.start.astimezone(UTC), event.end.astimezone(UTC)
        if _us(start) > last_us or _us(end) <= first_us:
            continue
        inside = (pl.col("arrived_at") >= start) & (pl.col("arrived_at") < end)
        if event.channels is not None:
            inside = inside & pl.col("channel").is_in(list(event.channels))
        if event.queues is not None:  # the frame then carries `queue` (`tallied_columns`)
            inside = inside & pl.col("queue").is_in(list(event.queues))
        mask = inside if mask is None else mask | inside
    return mask


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
    waits = tuple(sorted({p.threshold_us for p in plans if p.threshold_us is not None}))
    cutoffs = tuple(sorted({*waits, *(p.short_us for p in plans if p.short_us is not None)}))
    if frame.height == 0:
        return ContactGroups(pl.DataFrame(), {}, plans, waits, cutoffs, in_event=False)
    arrived = frame.get_column("arrived_at").dt.epoch("us")
    first_us, last_us = int(arrived.min()), int(arrived.max())  # type: ignore[arg-type]
    days = (_moment(first_us).astimezone(zone).date(), _moment(last_us).astimezone(zone).date())
    flags: dict[str, pl.Expr | pl.Series] = {
        "day": _local_day(pl.col("arrived_at").dt.epoch("us"), zone, first_us, last_us)
    }
    for (_objective, calendar), plan in zip(chosen, plans, strict=True):
        if plan.open is not None and plan.open not in flags and calendar is not None:
            flags[plan.open] = _OpenTimeline.build(calendar, *days).is_open(arrived)
    in_event = _in_event(tuple(events), first_us, last_us)
    if in_event is not None:
        flags["in_event"] = in_event.fill_null(False)
    keys = ["day", "channel", *(name for name in flags if name != "day")]
    rows = frame.with_columns(value.alias(name) for name, value in flags.items())
    outcomes = _outcome_keys(waits, cutoffs)
    classes = [key.meta.output_name() for key in outcomes]
    groups = rows.lazy().with_columns(outcomes).group_by(*keys, *classes).agg(_sums())
    responses: dict[str, pl.LazyFrame] = {}
    for (objective, calendar), plan in zip(chosen, plans, strict=True):
        if plan.response is not None:  # deadlines of the objective's own contacts only
            needed = rows.select(*keys, "arrived_at", "answered_at")
            mine = needed.filter(_in_channels(plan.channels))
            due, within = _response_flags(mine, objective, calendar, as_of, days)
            responses[plan.response] = (
                mine.select(*keys, due.alias("due"), within.alias("responded"))
                .lazy().group_by(keys)
                .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("due", "responded").sum())
            )  # fmt: skip
    answers = {name: summed.collect() for name, summed in responses.items()}
    return ContactGroups(groups.collect(), answers, plans, waits, cutoffs, in_event is not None)


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
    groups = _summed(frames, ("n", "wait_us", "handle_us"), in_event)
    return ContactGroups(groups, responses, first.plans, first.waits, first.cutoffs, in_event)


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
        "wait_us_answered": pl.when(kept).then(pl.col("wait_us")).otherwise(0),
        "handle_us_answered": pl.when(kept).then(pl.col("handle_us")).otherwise(0),
        "fcr_resolved": n_where(pl.col("fcr").fill_null(False)),
        "fcr_known": n_where(pl.col("fcr").is_not_null()),
        "csat_satisfied": n_where((pl.col("csat_score") >= plan.satisfied_from).fill_null(False)),
        "csat_given": n_where(pl.col("csat_score").is_not_null()),
        "promoters": n_where(pl.col("nps_class") == _PROMOTER),
        "detractors": n_where(pl.col("nps_class") == _DETRACTOR),
        "nps_answers": n_where(pl.col("nps_class") != 0),
        "excluded": pl.when(excluded).then(pl.col("n")).otherwise(0),
    }
    if plan.short_us is not None:
        short = grouped.cutoffs.index(plan.short_us)
        found["abandoned_short"] = n_where(abandoned & (bucket <= short))
        found["abandoned_late"] = n_where(abandoned & (bucket > short))  # abandons not short
    if plan.threshold_us is not None:
        within, late = (
            grouped.waits.index(plan.threshold_us),
            grouped.cutoffs.index(plan.threshold_us),
        )
        found["answered_within"] = n_where(answered & (bucket <= within))
        found["abandoned_late"] = n_where(abandoned & (bucket > late))
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
