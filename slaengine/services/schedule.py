"""The scheduled jobs of `[schedule]`: which period each fire is for, what was missed, firing.

Each fire of a job is for one ledger period: `pull` and `month_to_date` for the local day of
the fire time, `monthly_close` for the month before the fire's local month. A job whose period
has a run in the ledger (by the scheduler or by hand) is not run again; the monthly close's
unfinished runs are completed first by every job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from slaengine.adapters.scheduling.scheduler import (
    cron_trigger,
    last_fire_at_or_before,
    next_fire_after,
)
from slaengine.adapters.storage import run_repo
from slaengine.config import Settings
from slaengine.domain.contract.periods import shift_period
from slaengine.errors import SlaEngineError
from slaengine.services.close import close_month, complete_unfinished
from slaengine.services.month_to_date import month_to_date, pull_all, schedule_zone
from slaengine.services.runs import (
    JOB_MONTH_TO_DATE,
    JOB_MONTHLY,
    JOB_PULL,
    RunReport,
    run_lock,
)

logger = logging.getLogger("slaengine.scheduler")
RUN_LOCK_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class JobSpec:
    name: str
    cron: str
    trigger: CronTrigger
    zone: ZoneInfo

    def period_of(self, fire: datetime) -> str:
        """The ledger period a fire at `fire` is for."""
        local = fire.astimezone(self.zone)
        if self.name == JOB_MONTHLY:
            return shift_period(local.strftime("%Y-%m"), -1)
        return local.date().isoformat()


def job_specs(settings: Settings) -> list[JobSpec]:
    """pull, month_to_date, monthly_close from `[schedule]` (ConfigError for a bad line)."""
    zone = schedule_zone(settings)
    lines = {
        JOB_PULL: settings.schedule.pull,
        JOB_MONTH_TO_DATE: settings.schedule.month_to_date,
        JOB_MONTHLY: settings.schedule.monthly_close,
    }
    return [
        JobSpec(name, cron, cron_trigger(cron, zone, key=name), zone)
        for name, cron in lines.items()
    ]


def missed_runs(
    engine: Engine, specs: list[JobSpec], now: datetime
) -> list[tuple[JobSpec, datetime]]:
    """Jobs whose latest fire time (up to `now`) has no run in the ledger for its period."""
    missed: list[tuple[JobSpec, datetime]] = []
    for spec in specs:
        due = last_fire_at_or_before(spec.trigger, now)
        if due is not None and not run_repo.runs_of(engine, spec.name, spec.period_of(due)):
            missed.append((spec, due))
    return sorted(missed, key=lambda item: item[1])


def fire(
    engine: Engine,
    settings: Settings,
    spec: JobSpec,
    *,
    clock: Callable[[], datetime],
    should_stop: Callable[[], bool],
) -> list[RunReport]:
    """Run `spec` for its latest due period (unless the ledger has it), after unfinished closes."""
    now = clock()
    due = last_fire_at_or_before(spec.trigger, now) or now
    period = spec.period_of(due)
    try:
        with run_lock(engine, wait_seconds=RUN_LOCK_WAIT_SECONDS, should_stop=should_stop):
            reports = complete_unfinished(engine, settings, now=now, should_stop=should_stop)
            reports += _deferred_close(engine, settings, spec, now, should_stop)
            known = run_repo.runs_of(engine, spec.name, period)
            if known:
                logger.info("%s %s: already in the ledger, nothing to do", spec.name, period)
                run_repo.start_attempt(engine, known[-1].id, kind="skipped", now=now)
                return reports
            reports.append(_run(engine, settings, spec.name, period, now, should_stop))
    except SlaEngineError as error:  # e.g. not settled yet, no contract: one line, no traceback
        logger.error("%s %s: %s", spec.name, period, error)
        return []
    for report in reports:
        logger.info("%s", summary_line(report))
    return reports


def _deferred_close(
    engine: Engine,
    settings: Settings,
    spec: JobSpec,
    now: datetime,
    should_stop: Callable[[], bool],
) -> list[RunReport]:
    """The monthly close that fell due before its month settled, run by the first job after.

    A month with a business-clock deadline (24 office hours of e-mail) settles days after
    its end, so a close at 08:00 on the 2nd finds it unsettled; the pull and month-to-date
    jobs of the following days run it once the month has settled (and never twice: ledger).
    """
    if spec.name == JOB_MONTHLY:
        return []
    monthly = next((item for item in job_specs(settings) if item.name == JOB_MONTHLY), None)
    due = last_fire_at_or_before(monthly.trigger, now) if monthly is not None else None
    if monthly is None or due is None:
        return []
    period = monthly.period_of(due)
    if run_repo.runs_of(engine, JOB_MONTHLY, period) or not _settled(engine, period, now):
        return []
    logger.info("monthly_close %s: settled since it fell due, closing it now", period)
    return [_run(engine, settings, JOB_MONTHLY, period, now, should_stop)]


def _settled(engine: Engine, period: str, now: datetime) -> bool:
    from slaengine.services.close import settles_at
    from slaengine.services.contracts import contracts_in_force

    contracts = contracts_in_force(engine, period)
    return bool(contracts) and all(settles_at(item, period) <= now for item in contracts)


def resume_unfinished(
    engine: Engine,
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    should_stop: Callable[[], bool],
) -> list[RunReport]:
    """Complete the monthly closes the ledger shows unfinished (a scheduler killed mid-run)."""
    with run_lock(engine, wait_seconds=RUN_LOCK_WAIT_SECONDS, should_stop=should_stop):
        reports = complete_unfinished(engine, settings, now=clock(), should_stop=should_stop)
    for report in reports:
        logger.info("%s", summary_line(report))
    return reports


def _run(
    engine: Engine,
    settings: Settings,
    name: str,
    period: str,
    now: datetime,
    should_stop: Callable[[], bool],
) -> RunReport:
    if name == JOB_MONTHLY:
        return close_month(engine, settings, period, now=now, should_stop=should_stop)
    if name == JOB_MONTH_TO_DATE:
        return month_to_date(
            engine, settings, as_of=now, key=period, mode="once", should_stop=should_stop
        )
    return pull_all(engine, settings, now=now, key=period, should_stop=should_stop)


def summary_line(report: RunReport) -> str:
    """`monthly_close 2026-10: done (3 contracts, 2 breaches)` and the failures, if any."""
    counts = report.counts()
    text = (
        f"{report.job} {report.period}: {report.outcome} ({counts['contracts']} contracts,"
        f" {counts['breaches']} breaches)"
    )
    if report.delivery:
        text += f"; delivery: {report.delivery}"
    if report.note:
        text += f"; {report.note}"
    if report.failures:
        text += "; failed: " + "; ".join(report.failures)
    return text


def jobs_listing(
    engine: Engine | None, specs: list[JobSpec], now: datetime
) -> list[dict[str, Any]]:
    """One entry per job: cron, zone, next run in the zone, latest ledger run if known."""
    listing: list[dict[str, Any]] = []
    for spec in specs:
        following = next_fire_after(spec.trigger, now)
        entry: dict[str, Any] = {
            "job": spec.name,
            "cron": spec.cron,
            "timezone": spec.zone.key,
            "next_run": following.astimezone(spec.zone).isoformat() if following else None,
            "next_period": spec.period_of(following) if following else None,
        }
        listing.append(entry)
    return listing
