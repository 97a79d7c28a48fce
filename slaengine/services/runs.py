"""What every run shares: the ledger claim, the run lock, progress and the run report.

A run of a job for a period is claimed in the ledger before any work: the first run of the
period (generation 0) is THE run; a later call finds it done and does nothing, or finds it
unfinished (killed, failed) and completes it, skipping the steps already recorded. `force`
starts a new generation marked forced; `again` (month to date run by hand) starts a new
generation that is not marked forced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy.engine import Engine

from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.lease import DatabaseLock, database_lock, kept
from slaengine.adapters.storage.run_repo import RunRecord
from slaengine.errors import SlaEngineError

JOB_MONTHLY = "monthly_close"
JOB_MONTH_TO_DATE = "month_to_date"
JOB_PULL = "pull"
RUN_LOCK = "slaengine-runs"
Mode = Literal["once", "force", "again"]


class RunBusy(SlaEngineError):
    """Another process is running a job on this database."""


class RunInterrupted(Exception):
    """A stop was requested (SIGTERM/SIGINT) between two steps; the run is left resumable."""


class Progress(Protocol):
    """Where a run reports its long steps (a rich progress bar on a terminal)."""

    def phase(self, name: str, total: int) -> None: ...
    def advance(self, name: str, label: str) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, name: str, label: str) -> None:
        pass


@dataclass
class ContractOutcome:
    """What a run did for one contract; `error` names the step that failed and why."""

    contract_id: str
    steps: list[str] = field(default_factory=list)
    breaches: int = 0
    at_risk: int = 0
    credits: str = "0.00"
    currency: str = ""
    alerts: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract_id,
            "status": "ok" if self.ok else "failed",
            "steps": self.steps,
            "breaches": self.breaches,
            "at_risk": self.at_risk,
            "credits": {"currency": self.currency, "total": self.credits},
            "alerts": self.alerts,
            "error": self.error,
        }


@dataclass
class RunReport:
    """The summary of one run, printed as a table or JSON; `outcome` done, failed or skipped."""

    job: str
    period: str
    outcome: str
    generation: int = 0
    forced: bool = False
    resumed: bool = False
    contracts: list[ContractOutcome] = field(default_factory=list)
    delivery: str | None = None
    reports: list[str] = field(default_factory=list)
    error: str | None = None
    note: str | None = None

    @property
    def failures(self) -> list[str]:
        """One line per failure: each contract that failed, then the delivery or run error."""
        lines = [f"{item.contract_id}: {item.error}" for item in self.contracts if item.error]
        return [*lines, *([self.error] if self.error else [])]

    def counts(self) -> dict[str, Any]:
        totals: dict[str, Decimal] = {}
        for item in self.contracts:
            if item.currency:
                totals[item.currency] = totals.get(item.currency, Decimal(0)) + Decimal(
                    item.credits
                )
        return {
            "contracts": len(self.contracts),
            "failed": sum(1 for item in self.contracts if not item.ok),
            "breaches": sum(item.breaches for item in self.contracts),
            "at_risk": sum(item.at_risk for item in self.contracts),
            "alerts": sum(item.alerts for item in self.contracts),
            "credits": {currency: str(amount) for currency, amount in sorted(totals.items())},
            "reports": len(self.reports),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "period": self.period,
            "outcome": self.outcome,
            "generation": self.generation,
            "forced": self.forced,
            "resumed": self.resumed,
            "contracts": [item.as_json() for item in self.contracts],
            "counts": self.counts(),
            "reports": self.reports,
            "delivery": self.delivery,
            "error": self.error,
            "note": self.note,
            "failures": self.failures,
        }


@dataclass(frozen=True)
class Attempt:
    """One attempt at a run, as the ledger keeps it: the run, the attempt's number, when it
    started; `instant()` is the start plus the time measured since (a real finish instant
    even when the caller's `now` is a fixed or faked moment)."""

    run: RunRecord
    number: int
    kind: str
    started_at: datetime
    started_monotonic: float = field(default_factory=time.monotonic)

    def instant(self) -> datetime:
        return self.started_at + timedelta(seconds=time.monotonic() - self.started_monotonic)


def finish(engine: Engine, attempt: Attempt, report: RunReport) -> RunReport:
    """Record `report`'s outcome, counts and failures as the end of the attempt and its run,
    at the instant the attempt finishes; returns `report`."""
    finished = attempt.instant()
    counts, error = report.counts(), "; ".join(report.failures) or None
    run_repo.finish_attempt(
        engine,
        attempt.run.id,
        attempt.number,
        outcome=report.outcome,
        counts=counts,
        error=error,
        now=finished,
    )
    run_repo.finish_run(
        engine, attempt.run.id, outcome=report.outcome, counts=counts, error=error, now=finished
    )
    return report


def claim(engine: Engine, job: str, period: str, *, mode: Mode, now: datetime) -> Attempt | None:
    """The attempt to make at (job, period), or None when the run is already done (mode
    "once"; the call is kept in the ledger as a skipped attempt).

    The caller holds the run lock, so no other process claims at the same time.
    """
    runs = run_repo.runs_of(engine, job, period)
    if not runs:
        return _attempt(engine, _start(engine, job, period, 0, forced=False, now=now), "first", now)
    last = runs[-1]
    if mode != "once":
        kind = "forced" if mode == "force" else "again"
        run = _start(engine, job, period, last.generation + 1, forced=mode == "force", now=now)
        return _attempt(engine, run, kind, now)
    if last.outcome == "done":
        run_repo.start_attempt(engine, last.id, kind="skipped", now=now)
        return None
    run_repo.reopen_run(engine, last.id)
    return _attempt(engine, last, "resumed", now)


def _attempt(engine: Engine, run: RunRecord, kind: str, now: datetime) -> Attempt:
    number = run_repo.start_attempt(engine, run.id, kind=kind, now=now)
    return Attempt(run, number, kind, now)


def _start(
    engine: Engine, job: str, period: str, generation: int, *, forced: bool, now: datetime
) -> RunRecord:
    record = run_repo.start_run(engine, job, period, generation=generation, forced=forced, now=now)
    if record is None:
        raise RunBusy(f"{job} {period}: another process started this run at the same moment")
    return record


@contextmanager
def run_lock(
    engine: Engine,
    *,
    wait_seconds: float = 0.0,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[DatabaseLock]:
    """Hold the database's run lock for the block (one run at a time per database).

    Waits up to `wait_seconds` for another run to finish, then raises RunBusy naming the holder.
    """
    lock = (
        database_lock(engine, RUN_LOCK)
        if clock is None
        else database_lock(engine, RUN_LOCK, clock=clock)
    )
    deadline = time.monotonic() + wait_seconds
    while not lock.acquire():
        if time.monotonic() >= deadline or should_stop():
            raise RunBusy(
                f"another slaengine run ({lock.current_holder() or 'unknown process'}) is in"
                " progress on this database; run again when it has finished"
            )
        time.sleep(min(2.0, max(0.1, wait_seconds / 10)))
    with kept(lock, every_seconds=15.0, on_lost=lambda: None):
        yield lock


def describe(error: BaseException) -> str:
    """A one-line reason: the message of our errors, the type and message of anything else."""
    if isinstance(error, SlaEngineError):
        return " ".join(str(error).split())
    return f"unexpected {type(error).__name__}: {error}"
