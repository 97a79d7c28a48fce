"""The run ledger's records, and its history read for `slaengine run history`.

Apart from `run_repo` (which writes the ledger through the SQLModel tables) so that the
history reads through the light views and imports neither SQLModel nor the ORM.
Times are stored in UTC; SQLite gives them back naive, so readers put UTC back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.views import RUN_ATTEMPT, RUN_LEDGER


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt at a run: first, resumed, forced, again or skipped, with its own instants."""

    run_id: int
    attempt: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "kind": self.kind,
            "started": self.started_at.isoformat(),
            "finished": self.finished_at.isoformat() if self.finished_at else None,
            "outcome": self.outcome,
            "counts": self.counts,
            "error": self.error,
        }


@dataclass(frozen=True)
class RunRecord:
    """One row of the run ledger, with its attempts when read for the history."""

    id: int
    job: str
    period: str
    generation: int
    forced: bool
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    attempts: tuple[AttemptRecord, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "period": self.period,
            "generation": self.generation,
            "forced": self.forced,
            "started": self.started_at.isoformat(),
            "finished": self.finished_at.isoformat() if self.finished_at else None,
            "outcome": self.outcome,
            "counts": self.counts,
            "error": self.error,
            "attempts": [attempt.as_json() for attempt in self.attempts],
        }


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime from what the database returned (SQLite drops the zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def run_history(engine: Engine, limit: int = 100) -> list[RunRecord]:
    """The most recent runs first, each with every attempt (oldest first)."""
    runs, attempts = RUN_LEDGER, RUN_ATTEMPT
    latest = select(*runs.c).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        records = [run_record(row) for row in connection.execute(latest).mappings()]
        found: dict[int, list[AttemptRecord]] = {}
        if records:
            query = (
                select(*attempts.c)
                .where(attempts.c.run_id.in_([record.id for record in records]))
                .order_by(attempts.c.run_id, attempts.c.attempt)
            )
            for row in connection.execute(query).mappings():
                found.setdefault(int(row["run_id"]), []).append(attempt_record(row))
    return [replace(record, attempts=tuple(found.get(record.id, ()))) for record in records]


def run_record(row: Any) -> RunRecord:
    """A ledger row (a mapping of its columns) as a record."""
    return RunRecord(
        id=int(row["id"]),
        job=row["job"],
        period=row["period"],
        generation=int(row["generation"]),
        forced=bool(row["forced"]),
        started_at=utc(row["started_at"]),
        finished_at=utc(row["finished_at"]) if row["finished_at"] else None,
        outcome=row["outcome"],
        counts=json.loads(row["counts"]),
        error=row["error"],
    )


def attempt_record(row: Any) -> AttemptRecord:
    """An attempt row (a mapping of its columns) as a record."""
    return AttemptRecord(
        run_id=int(row["run_id"]),
        attempt=int(row["attempt"]),
        kind=row["kind"],
        started_at=utc(row["started_at"]),
        finished_at=utc(row["finished_at"]) if row["finished_at"] else None,
        outcome=row["outcome"],
        counts=json.loads(row["counts"]),
        error=row["error"],
    )
