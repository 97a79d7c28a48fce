"""APScheduler 3.11 around our jobs: cron triggers in the schedule's zone, one job at a time.

What we do not leave to APScheduler: deciding whether a run was missed (the ledger and
`last_fire_at_or_before` decide; missed runs are added as one-off jobs at start), and knowing
whether a job for a period is already done (the ledger). Jobs live in memory only: nothing is
re-added over a persistent job store, so `replace_existing` never drops a missed run.

Cron expressions are standard five-field crontab. APScheduler 3 numbers weekdays from Monday
(0 = Monday) where crontab uses 0 or 7 for Sunday: `cron_trigger` translates numeric weekdays
to names first. Like APScheduler (and unlike Vixie cron), a day-of-month and a day-of-week
both given must BOTH match: `0 8 1-7 * sun` is the first Sunday of each month.

Time arithmetic is done in UTC: `aware + timedelta` keeps the wall time and drops `fold`, so
one microsecond after 02:30 CET on the autumn night would be 02:30 CEST, an hour earlier.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from slaengine.errors import ConfigError
from slaengine.i18n import SOURCE_LOCALE, using

logger = logging.getLogger("slaengine.scheduler")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_LOOKBACK = (timedelta(hours=2), timedelta(days=2), timedelta(days=33), timedelta(days=367))


def _weekday_names(field: str, key: str) -> str:
    """Crontab weekdays (0-7, 0 and 7 Sunday; ranges, lists, steps) as APScheduler names."""
    if not any(char.isdigit() for char in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        days |= _weekday_part(part, key)
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _weekday_part(part: str, key: str) -> set[int]:
    span, _, step_text = part.partition("/")
    try:
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            low, _, high = span.partition("-")
            first, last = int(low), int(high) if high else int(low)
    except ValueError:
        raise ConfigError(
            f"config: [schedule] {key}: day of week {part!r} mixes numbers and names"
        ) from None
    if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step > 0):
        raise ConfigError(f"config: [schedule] {key}: day of week {part!r} is not in 0-7")
    return {day % 7 for day in range(first, last + 1, step)}


def cron_trigger(expression: str, zone: ZoneInfo, *, key: str) -> CronTrigger:
    """A CronTrigger in `zone` from a crontab line; ConfigError naming `key` when invalid."""
    fields = expression.split()
    if len(fields) != 5:
        raise ConfigError(
            f"config: [schedule] {key} = {expression!r}: expected five cron fields"
            ' (minute hour day-of-month month day-of-week), e.g. "0 8 2 * *"'
        )
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_weekday_names(weekday, key),
            timezone=zone,
        )
    except ValueError as error:
        raise ConfigError(f"config: [schedule] {key} = {expression!r}: {error}") from None


def next_fire_after(trigger: CronTrigger, moment: datetime) -> datetime | None:
    """The first fire time at or after `moment` (aware, in the trigger's zone)."""
    fire: datetime | None = trigger.get_next_fire_time(None, moment)
    return fire


def fire_times(trigger: CronTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time in [start, end), in order (both DST transitions included as they fall)."""
    found: list[datetime] = []
    previous: datetime | None = None
    moment = start
    while True:
        fire: datetime | None = trigger.get_next_fire_time(previous, moment)
        if fire is None or fire >= end:
            return found
        found.append(fire)
        previous, moment = fire, fire.astimezone(UTC) + timedelta(microseconds=1)


def last_fire_at_or_before(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest fire time not after `now` within about a year (None if none)."""
    now = now.astimezone(UTC)
    limit = now + timedelta(microseconds=1)
    for lookback in _LOOKBACK:
        fires = fire_times(trigger, now - lookback, limit)
        if fires:
            return fires[-1]
    return None


@dataclass(frozen=True)
class Job:
    """One scheduled job: its name, cron line, trigger, what to run when it fires, and the
    report language it writes in (bound on the worker thread that runs it: APScheduler's
    threads do not carry the main thread's context variables)."""

    name: str
    cron: str
    trigger: CronTrigger | None  # None: a one-off job (catch-up)
    action: Callable[[], None]
    locale: str = SOURCE_LOCALE


def _guarded(job: Job) -> Callable[[], None]:
    def run() -> None:
        try:
            with using(job.locale):
                job.action()
        except Exception:  # a failing job is logged; the scheduler keeps going
            logger.exception("job %s failed", job.name)

    return run


def run_schedule(
    jobs: list[Job], zone: ZoneInfo, *, catch_up: list[Job], stop: threading.Event
) -> None:
    """Run `catch_up` once now, then `jobs` on their triggers, until `stop` is set.

    One worker: jobs run one after another, never two at once. A run in progress when `stop`
    is set is waited for (the jobs themselves stop between steps).
    """
    scheduler = BackgroundScheduler(
        timezone=zone,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for job in catch_up:
        scheduler.add_job(_guarded(job), "date", id=f"{job.name}-missed", name=job.name)
    for job in jobs:
        if job.trigger is not None:
            scheduler.add_job(_guarded(job), job.trigger, id=job.name, name=job.name)
    scheduler.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
