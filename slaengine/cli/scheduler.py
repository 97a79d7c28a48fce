"""`slaengine scheduler start|jobs`: run `[schedule]` until stopped; list the jobs."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from slaengine.cli.context import AppContext
from slaengine.cli.safe_text import safe, visible
from slaengine.errors import SlaEngineError

if TYPE_CHECKING:
    from slaengine.adapters.scheduling.scheduler import Job
    from slaengine.adapters.storage.lease import DatabaseLock
    from slaengine.services.schedule import JobSpec

SCHEDULER_LOCK = "slaengine-scheduler"
RENEW_EVERY_SECONDS = 10.0


class SchedulerBusy(SlaEngineError):
    """Another scheduler acts on this database."""


def _now() -> datetime:
    return datetime.now(UTC)


@click.group("scheduler")
def scheduler() -> None:
    """Run the configured schedule ([schedule] in config.toml) or list its jobs."""


@scheduler.command("start")
@click.option(
    "--wait",
    "wait",
    is_flag=True,
    help="If another scheduler holds this database, wait for it to stop instead of exiting.",
)
@click.pass_obj
def start(app: AppContext, wait: bool) -> None:
    """Run pull, month_to_date and monthly_close on their cron lines until SIGTERM or Ctrl-C.

    A run that fell due while no scheduler was running is run once at start. Only one
    scheduler acts on a database: a second one exits (or waits, with --wait).
    """
    from slaengine.adapters.delivery.smtp import check_delivery
    from slaengine.adapters.storage.lease import database_lock, kept
    from slaengine.services.schedule import job_specs

    specs = job_specs(app.settings)  # configuration errors before touching the database
    check_delivery(app.settings.delivery)
    stop = threading.Event()
    _on_signals(stop)
    lock = database_lock(app.engine, SCHEDULER_LOCK)
    _acquire(lock, wait, stop)
    if stop.is_set():
        return
    _log_to_stderr()
    with kept(lock, every_seconds=RENEW_EVERY_SECONDS, on_lost=stop.set):
        _serve(app, specs, stop, lock.holder)
    click.echo("scheduler stopped", err=True)


def _acquire(lock: DatabaseLock, wait: bool, stop: threading.Event) -> None:
    told = False
    while not lock.acquire():
        holder = lock.current_holder() or "another process"
        if not wait:
            raise SchedulerBusy(
                f"another scheduler ({holder}) is running on this database; only one may act:"
                " stop it first, or start this one with --wait to take over when it stops"
            )
        if not told:
            click.echo(
                visible(f"waiting: another scheduler ({holder}) holds this database"), err=True
            )
            told = True
        if stop.wait(2.0):
            return


def _serve(app: AppContext, specs: list[JobSpec], stop: threading.Event, holder: str) -> None:
    from slaengine.adapters.scheduling.scheduler import run_schedule
    from slaengine.services.schedule import missed_runs

    missed = missed_runs(app.engine, specs, _now())
    click.echo(f"scheduler started ({holder}), time zone {specs[0].zone.key}", err=True)
    catch_up = [_resume(app, stop)] if _unfinished(app) else []
    for spec, due in missed:
        click.echo(f"missed: {spec.name} due {due.isoformat()}: running it now", err=True)
        catch_up.append(_job(app, spec, stop))
    run_schedule(
        [_job(app, spec, stop) for spec in specs], specs[0].zone, catch_up=catch_up, stop=stop
    )


def _unfinished(app: AppContext) -> bool:
    from slaengine.adapters.storage.run_repo import unfinished_runs
    from slaengine.services.runs import JOB_MONTHLY

    runs = unfinished_runs(app.engine, JOB_MONTHLY)
    for run in runs:
        click.echo(
            visible(f"unfinished: {run.job} {run.period} ({run.outcome}): completing it"), err=True
        )
    return bool(runs)


def _resume(app: AppContext, stop: threading.Event) -> Job:
    from slaengine.adapters.scheduling.scheduler import Job
    from slaengine.services.schedule import resume_unfinished

    engine, settings = app.engine, app.settings

    def action() -> None:
        resume_unfinished(engine, settings, clock=_now, should_stop=stop.is_set)

    return Job("resume", "", None, action, locale=settings.locale)


def _job(app: AppContext, spec: JobSpec, stop: threading.Event) -> Job:
    from slaengine.adapters.scheduling.scheduler import Job
    from slaengine.services.schedule import fire

    engine, settings = app.engine, app.settings

    def action() -> None:
        fire(engine, settings, spec, clock=_now, should_stop=stop.is_set)

    return Job(spec.name, spec.cron, spec.trigger, action, locale=settings.locale)


def _on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the current step", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class _VisibleFormatter(logging.Formatter):
    """Log lines carry stored texts (errors, names): control characters shown, never sent."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record), keep_lines=True)


def _log_to_stderr() -> None:
    """The scheduler's and the close's logs (`slaengine.*`) on stderr, one line each."""
    logger = logging.getLogger("slaengine")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(_VisibleFormatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@scheduler.command("jobs")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as a JSON list.")
@click.pass_obj
def jobs(app: AppContext, as_json: bool) -> None:
    """The scheduled jobs: cron line, time zone, next run (in the schedule's zone)."""
    from slaengine.services.schedule import job_specs, jobs_listing

    listing = jobs_listing(None, job_specs(app.settings), _now())
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    table = Table(title=safe(f"scheduled jobs ({app.settings.schedule.timezone})"))
    for heading in ("job", "cron", "next run", "for period"):
        table.add_column(heading)
    for entry in listing:
        table.add_row(
            *(safe(entry[key] or "-") for key in ("job", "cron", "next_run", "next_period"))
        )
    Console().print(table)
