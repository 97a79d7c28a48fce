"""Seeded example feeds (contacts, forecasts, costs) for the demo, in the SPEC section 2 annex.

Deterministic: one `random.Random` per contract and month, seeded from (seed, contract, month),
so the same seed gives byte-identical files. What the demo should show is planted on purpose:
the provider profiled with `bad_week` has a bad phone week in the second week of the last
month, late emails in the first month, a few days far above forecast, and five bad rows in
its last file (answered before arrival, a timestamp without offset, a duplicated contact_id
twice, a csat of 7); emails not yet answered at `as_of` are left open.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from slaengine.demo.clock import OpenHours, open_hours
from slaengine.demo.profiles import (
    HOUR_WEIGHTS,
    MONTH_FACTORS,
    WEEKDAY_FACTORS,
    ChannelQuality,
    ProviderProfile,
    profile_for,
)
from slaengine.domain.contract.model import REAL_TIME_CHANNELS, Contract, Objective

FeedKind = Literal["contacts", "forecasts", "costs"]
CONTACT_COLUMNS: tuple[str, ...] = (
    "contact_id", "channel", "queue", "arrived_at", "answered_at", "abandoned_at",
    "handle_seconds", "resolved_first_contact", "csat", "nps",
)  # fmt: skip
BAD_ROWS = 5  # rows planted in the bad provider's last contacts file
QUEUES: dict[str, tuple[str, ...]] = {
    "phone": ("general", "billing", "technical"),
    "chat": ("general", "technical"),
}
Row = dict[str, str]


@dataclass(frozen=True)
class GeneratedFile:
    """One feed file written by the generator, ready for `feed ingest CONTRACT KIND PATH`."""

    contract_id: str
    kind: FeedKind
    path: Path
    month: str


@dataclass(frozen=True)
class _MonthPlan:
    """Everything the contacts of one contract-month depend on besides the random stream."""

    contract: Contract
    profile: ProviderProfile
    month: str
    first: bool
    last: bool
    extracted_at: datetime
    handling: OpenHours
    calendars: dict[str, OpenHours]


def generate_feeds(
    out_dir: Path,
    contracts: Sequence[Contract],
    months: Sequence[str],
    *,
    seed: int = 7,
    as_of: datetime | None = None,
) -> list[GeneratedFile]:
    """Write contacts, forecasts and costs CSVs per contract and month under `out_dir`.

    `months` are YYYY-MM in order; `as_of` is when the provider extracted the data
    (default 08:00 UTC on the 2nd of the month after the last one): later answers are open.
    Files land in `out_dir/CONTRACT/KIND-YYYY-MM.csv`, listed month by month.
    """
    if not months:
        return []
    extracted_at = as_of or _default_as_of(months[-1])
    written: list[GeneratedFile] = []
    for index, month in enumerate(months):
        for contract in contracts:
            plan = _plan(contract, month, index == 0, index == len(months) - 1, extracted_at)
            written.extend(_write_month(out_dir, plan, seed))
    return written


def _default_as_of(last_month: str) -> datetime:
    start = _month_start(last_month)
    following = (start + timedelta(days=32)).replace(day=2)
    return datetime(following.year, following.month, following.day, 8, tzinfo=UTC)


def _plan(
    contract: Contract, month: str, first: bool, last: bool, extracted_at: datetime
) -> _MonthPlan:
    year = _month_start(month).year
    years = range(year, year + 2)
    calendars = {
        name: open_hours(contract.zone, calendar, years)
        for name, calendar in contract.calendars.items()
    }
    calendar_name = _handling_calendar(contract)
    handling = calendars[calendar_name] if calendar_name else open_hours(contract.zone, None, years)
    return _MonthPlan(
        contract, profile_for(contract), month, first, last, extracted_at, handling, calendars
    )


def _handling_calendar(contract: Contract) -> str | None:
    """The calendar that opening hours follow: a real-time objective's, else the first one."""
    for objective in contract.objectives:
        if objective.calendar and set(objective.channels) & REAL_TIME_CHANNELS:
            return objective.calendar
    return next(iter(contract.calendars), None)


def _write_month(out_dir: Path, plan: _MonthPlan, seed: int) -> list[GeneratedFile]:
    rng = random.Random(f"{seed}:{plan.contract.id}:{plan.month}")
    contacts, forecasts = _month_contacts(plan, rng)
    folder = out_dir / plan.contract.id
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        _write_csv(plan, "contacts", CONTACT_COLUMNS, contacts, folder),
        _write_csv(plan, "forecasts", ("date", "channel", "contacts"), forecasts, folder),
    ]
    costs = _month_costs(plan)
    if costs:
        columns = ("month", "channel", "amount", "currency", "kind")
        files.append(_write_csv(plan, "costs", columns, costs, folder))
    return files


def _write_csv(
    plan: _MonthPlan, kind: FeedKind, columns: Sequence[str], rows: list[Row], folder: Path
) -> GeneratedFile:
    path = folder / f"{kind}-{plan.month}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return GeneratedFile(plan.contract.id, kind, path, plan.month)


# --- volumes -------------------------------------------------------------------------------


def _month_contacts(plan: _MonthPlan, rng: random.Random) -> tuple[list[Row], list[Row]]:
    """The month's contact rows (sorted by arrival, with ids) and its daily forecasts."""
    arrivals: list[tuple[datetime, str]] = []
    forecasts: list[Row] = []
    for day in _days(plan.month):
        for channel in sorted(plan.profile.monthly_volumes):
            expected = _expected_volume(plan, channel, day)
            if expected <= 0:
                continue
            actual = _actual_volume(plan, channel, day, expected, rng)
            forecasts.append(
                {"date": day.isoformat(), "channel": channel, "contacts": str(round(expected))}
            )
            slices = _segments(plan, channel, day)
            arrivals.extend((_arrival(plan, day, slices, rng), channel) for _ in range(actual))
    arrivals.sort()
    rows = [
        _contact(plan, index, arrived, channel, rng)
        for index, (arrived, channel) in enumerate(arrivals)
    ]
    if plan.last and plan.profile.bad_week:
        _plant_bad_rows(plan, rows, rng)
    return rows, forecasts


def _expected_volume(plan: _MonthPlan, channel: str, day: date) -> float:
    monthly = plan.profile.monthly_volumes[channel]
    base = monthly / 26 * WEEKDAY_FACTORS[day.weekday()] * MONTH_FACTORS[day.month - 1]
    if channel in REAL_TIME_CHANNELS:
        open_minutes = sum(end - start for start, end in plan.handling.intervals_on(day))
        return base * min(1.0, open_minutes / 600) if open_minutes else 0.0
    return base if plan.handling.intervals_on(day) else base * 0.5


def _actual_volume(
    plan: _MonthPlan, channel: str, day: date, expected: float, rng: random.Random
) -> int:
    """Close to forecast (within a few percent), except on the planted spike days."""
    spike = plan.last and day.day in plan.profile.spike_days and channel in REAL_TIME_CHANNELS
    factor = 1.32 if spike else rng.gauss(1.0, 0.025)
    return max(0, round(expected * factor))


Segments = list[tuple[int, int, float]]


def _segments(plan: _MonthPlan, channel: str, day: date) -> tuple[Segments, list[float]]:
    """Hour slices of the day a contact can arrive in, with cumulative weights.

    Phone and chat follow the open hours; written channels arrive at any hour.
    """
    intervals = plan.handling.intervals_on(day)
    if channel not in REAL_TIME_CHANNELS or not intervals:
        intervals = ((0, 1440),)
    segments = [
        (max(start, hour * 60), min(end, hour * 60 + 60), HOUR_WEIGHTS[hour])
        for start, end in intervals
        for hour in range(start // 60, math.ceil(end / 60))
        if min(end, hour * 60 + 60) > max(start, hour * 60)
    ]
    weights = [(end - start) * weight for start, end, weight in segments]
    return segments, list(itertools.accumulate(weights))


def _arrival(
    plan: _MonthPlan, day: date, slices: tuple[Segments, list[float]], rng: random.Random
) -> datetime:
    """A weighted instant of the day, to the second."""
    segments, cumulative = slices
    start, end, _ = rng.choices(segments, cum_weights=cumulative)[0]
    minute = start + rng.random() * (end - start)
    return plan.handling.local_instant(day, math.floor(minute * 60) / 60)


# --- one contact ---------------------------------------------------------------------------


def _contact(
    plan: _MonthPlan, index: int, arrived: datetime, channel: str, rng: random.Random
) -> Row:
    row: Row = dict.fromkeys(CONTACT_COLUMNS, "")
    row["contact_id"] = f"{plan.profile.prefix}-{plan.month.replace('-', '')}-{index + 1:05d}"
    row["channel"] = channel
    row["queue"] = rng.choice(QUEUES.get(channel, ("default",)))
    row["arrived_at"] = _stamp(plan, arrived)
    quality = plan.profile.quality_of(channel)
    if channel in REAL_TIME_CHANNELS:
        _serve_real_time(plan, row, arrived, channel, quality, rng)
    else:
        _serve_deferred(plan, row, arrived, channel, quality, rng)
    if row["answered_at"]:
        _add_feedback(plan, row, arrived, rng)
    return row


def _in_bad_week(plan: _MonthPlan, arrived: datetime) -> bool:
    if not (plan.last and plan.profile.bad_week):
        return False
    start = _second_monday(plan.month)
    local_day = arrived.astimezone(plan.contract.zone).date()
    return start <= local_day < start + timedelta(days=7)


def _serve_real_time(
    plan: _MonthPlan,
    row: Row,
    arrived: datetime,
    channel: str,
    quality: ChannelQuality,
    rng: random.Random,
) -> None:
    bad = channel == "phone" and _in_bad_week(plan, arrived)
    on_time = 0.42 if bad else quality.on_time
    late_abandon = 0.13 if bad else quality.late_abandon
    draw = rng.random()
    if draw < quality.short_abandon:
        row["abandoned_at"] = _stamp(plan, arrived + timedelta(seconds=rng.randint(1, 5)))
        return
    if draw < quality.short_abandon + late_abandon:
        row["abandoned_at"] = _stamp(plan, arrived + timedelta(seconds=rng.randint(6, 240)))
        return
    fast_band = 20 if channel == "phone" else 50
    if rng.random() < on_time:
        wait = min(rng.randint(0, fast_band), rng.randint(0, fast_band))
    else:
        wait = fast_band + 1 + min(900, round(rng.expovariate(1 / (90 if bad else 45))))
    row["answered_at"] = _stamp(plan, arrived + timedelta(seconds=wait))
    row["handle_seconds"] = str(_handle_seconds(quality, rng))


def _serve_deferred(
    plan: _MonthPlan,
    row: Row,
    arrived: datetime,
    channel: str,
    quality: ChannelQuality,
    rng: random.Random,
) -> None:
    if rng.random() < quality.unanswered:
        return
    on_time = quality.on_time
    if plan.first and channel == "email" and plan.profile.late_emails_first_month:
        on_time = 1 - plan.profile.late_emails_first_month
    answered = _response(plan, arrived, channel, rng.random() < on_time, rng)
    if answered <= plan.extracted_at:
        row["answered_at"] = _stamp(plan, answered)
        row["handle_seconds"] = str(_handle_seconds(quality, rng))


def _response(
    plan: _MonthPlan, arrived: datetime, channel: str, on_time: bool, rng: random.Random
) -> datetime:
    """When a written contact is answered, on the clock of the objective that judges it."""
    objective = _response_objective(plan.contract, channel)
    if objective is None or objective.threshold is None:
        return arrived + timedelta(seconds=rng.randint(600, 6 * 3600))
    # most written contacts are answered within a few hours, a tail later in the allowed time
    share = 0.03 + 0.82 * rng.random() ** 2 if on_time else rng.uniform(1.05, 2.0)
    seconds = round(objective.threshold.seconds * share)
    hours = plan.calendars.get(objective.calendar or "")
    if objective.effective_clock == "business" and hours is not None:
        return hours.add_open_time(arrived, seconds)
    return arrived + timedelta(seconds=seconds)


def _response_objective(contract: Contract, channel: str) -> Objective | None:
    for objective in contract.objectives:
        if objective.kpi == "response_within" and channel in objective.channels:
            return objective
    return None


def _handle_seconds(quality: ChannelQuality, rng: random.Random) -> int:
    return max(15, round(rng.lognormvariate(math.log(quality.handle_seconds), 0.45)))


def _add_feedback(plan: _MonthPlan, row: Row, arrived: datetime, rng: random.Random) -> None:
    """Sparse optional columns: FCR known for half, CSAT for one in ten, NPS for one in sixteen."""
    bad = _in_bad_week(plan, arrived) and row["channel"] == "phone"
    if rng.random() < 0.5:
        row["resolved_first_contact"] = "true" if rng.random() < (0.7 if bad else 0.8) else "false"
    if rng.random() < 0.1:
        row["csat"] = str(rng.choices((5, 4, 3, 2, 1), weights=(52, 37, 6, 3, 2))[0])
    if rng.random() < 0.0625:
        row["nps"] = str(rng.choices(range(11), weights=(2, 1, 1, 1, 1, 2, 4, 11, 22, 30, 25))[0])


# --- planted bad rows ----------------------------------------------------------------------


def _plant_bad_rows(plan: _MonthPlan, rows: list[Row], rng: random.Random) -> None:
    """Five rows that must end in quarantine, at seeded places among the good ones."""
    prefix = f"{plan.profile.prefix}-{plan.month.replace('-', '')}-BAD"
    arrived = plan.handling.local_instant(_month_start(plan.month) + timedelta(days=14), 600)
    local = arrived.astimezone(plan.contract.zone)
    before = _stamp(plan, arrived - timedelta(seconds=30))
    bad: list[Row] = [
        _bad_row(plan, f"{prefix}1", arrived, answered_at=before),  # answered before arrival
        _bad_row(plan, f"{prefix}2", arrived, arrived_at=local.strftime("%Y-%m-%dT%H:%M:%S")),
        _bad_row(plan, f"{prefix}3", arrived),  # the same contact_id twice
        _bad_row(plan, f"{prefix}3", arrived + timedelta(minutes=3)),
        _bad_row(plan, f"{prefix}4", arrived, csat="7"),  # csat is 1..5
    ]
    for row in bad:
        rows.insert(rng.randint(0, len(rows)), row)


def _bad_row(plan: _MonthPlan, contact_id: str, arrived: datetime, **overrides: str) -> Row:
    row: Row = dict.fromkeys(CONTACT_COLUMNS, "")
    row.update(
        contact_id=contact_id,
        channel="phone",
        queue="general",
        arrived_at=_stamp(plan, arrived),
        answered_at=_stamp(plan, arrived + timedelta(seconds=12)),
        handle_seconds="240",
    )
    row.update(overrides)
    return row


# --- costs ---------------------------------------------------------------------------------


def _month_costs(plan: _MonthPlan) -> list[Row]:
    """Outsourced: the contract's monthly fee. In-house: team costs by channel plus overheads."""
    currency = plan.contract.currency
    rows: list[Row] = []
    if plan.contract.credits is not None:
        fee = plan.contract.credits.monthly_fee.quantize(Decimal("0.01"))
        rows.append(_cost(plan.month, "all", fee, currency, "fee"))
    for channel, amount in sorted(plan.profile.costs.items()):
        rows.append(_cost(plan.month, channel, amount.quantize(Decimal("0.01")), currency, "other"))
    return rows


def _cost(month: str, channel: str, amount: Decimal, currency: str, kind: str) -> Row:
    return {
        "month": month,
        "channel": channel,
        "amount": str(amount),
        "currency": currency,
        "kind": kind,
    }


# --- dates ---------------------------------------------------------------------------------


def _stamp(plan: _MonthPlan, instant: datetime) -> str:
    """ISO 8601 in the contract's local time with its offset of that instant (DST-correct)."""
    return instant.astimezone(plan.contract.zone).isoformat(timespec="seconds")


def _month_start(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def _days(month: str) -> list[date]:
    start = _month_start(month)
    days = [start + timedelta(days=offset) for offset in range(31)]
    return [day for day in days if day.month == start.month]


def _second_monday(month: str) -> date:
    start = _month_start(month)
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    return first_monday + timedelta(days=7)
