"""Reading and writing the run ledger and the delivery log (see run_tables for the shape).

Exactly-once rests on the unique keys: two processes claiming the same (job, period,
generation) or recording the same step cannot both succeed; the loser sees the winner's row.
Times are stored in UTC; SQLite gives them back naive, so readers put UTC back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from slaengine.adapters.storage.run_records import (
    AttemptRecord,
    RunRecord,
    attempt_record,
    run_history,
    run_record,
    utc,
)
from slaengine.adapters.storage.run_tables import DeliveryRow, RunAttemptRow, RunRow, RunStepRow

__all__ = ["AttemptRecord", "DeliveryRecord", "RunRecord", "run_history", "utc"]


@dataclass(frozen=True)
class DeliveryRecord:
    key: str
    channel: str
    status: str
    attempts: int
    last_error: str | None
    payload: dict[str, Any]


def _record(row: RunRow) -> RunRecord:
    return run_record(row.model_dump())


def runs_of(engine: Engine, job: str, period: str) -> list[RunRecord]:
    """Every run of `job` for `period`, oldest generation first."""
    with Session(engine) as session:
        rows = session.exec(
            select(RunRow)
            .where(RunRow.job == job, RunRow.period == period)
            .order_by(col(RunRow.generation))
        ).all()
        return [_record(row) for row in rows]


def start_run(
    engine: Engine, job: str, period: str, *, generation: int, forced: bool, now: datetime
) -> RunRecord | None:
    """Insert the run (job, period, generation); None when another process inserted it first."""
    row = RunRow(
        job=job, period=period, generation=generation, forced=forced, started_at=now.astimezone(UTC)
    )
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            return None
        session.refresh(row)
        return _record(row)


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    outcome: str,
    counts: dict[str, Any],
    error: str | None,
    now: datetime,
) -> None:
    """Set a run's outcome (done or failed), counts and error."""
    with Session(engine) as session:
        row = session.get(RunRow, run_id)
        assert row is not None, f"run {run_id} vanished from the ledger"
        row.outcome, row.counts, row.error = outcome, json.dumps(counts, sort_keys=True), error
        row.finished_at = now.astimezone(UTC)
        session.add(row)
        session.commit()


def reopen_run(engine: Engine, run_id: int) -> None:
    """Mark a failed or interrupted run as running again (it is being completed)."""
    with Session(engine) as session:
        row = session.get(RunRow, run_id)
        assert row is not None, f"run {run_id} vanished from the ledger"
        row.outcome, row.finished_at = "running", None
        session.add(row)
        session.commit()


def _attempt(row: RunAttemptRow) -> AttemptRecord:
    return attempt_record(row.model_dump())


def attempts_of(engine: Engine, run_id: int) -> list[AttemptRecord]:
    """Every attempt at a run, oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(RunAttemptRow)
            .where(RunAttemptRow.run_id == run_id)
            .order_by(col(RunAttemptRow.attempt))
        ).all()
        return [_attempt(row) for row in rows]


def start_attempt(engine: Engine, run_id: int, *, kind: str, now: datetime) -> int:
    """Record a new attempt at a run (number returned). An earlier attempt still `running` was
    ended by its process dying (the caller holds the run lock): it becomes `interrupted`."""
    with Session(engine) as session:
        rows = session.exec(select(RunAttemptRow).where(RunAttemptRow.run_id == run_id)).all()
        for row in rows:
            if row.outcome == "running":
                row.outcome = "interrupted"
                row.error = row.error or "the process ended before this attempt finished"
                session.add(row)
        number = max((row.attempt for row in rows), default=0) + 1
        session.add(
            RunAttemptRow(
                run_id=run_id,
                attempt=number,
                kind=kind,
                started_at=now.astimezone(UTC),
                outcome="skipped" if kind == "skipped" else "running",
                finished_at=now.astimezone(UTC) if kind == "skipped" else None,
            )
        )
        session.commit()
        return number


def finish_attempt(
    engine: Engine,
    run_id: int,
    attempt: int,
    *,
    outcome: str,
    counts: dict[str, Any],
    error: str | None,
    now: datetime,
) -> None:
    """Set an attempt's outcome, counts, error and finish instant."""
    with Session(engine) as session:
        row = session.exec(
            select(RunAttemptRow).where(
                RunAttemptRow.run_id == run_id, RunAttemptRow.attempt == attempt
            )
        ).first()
        assert row is not None, f"attempt {attempt} of run {run_id} vanished from the ledger"
        row.outcome, row.counts, row.error = outcome, json.dumps(counts, sort_keys=True), error
        row.finished_at = now.astimezone(UTC)
        session.add(row)
        session.commit()


def backfill_attempts(connection: Connection) -> int:
    """One attempt per run that has none (runs recorded before attempts were kept): the run's
    own instants, outcome, counts and error. Returns how many were added."""
    runs = RunRow.__table__  # type: ignore[attr-defined]
    attempts = RunAttemptRow.__table__  # type: ignore[attr-defined]
    known = set(connection.execute(sa_select(attempts.c.run_id)).scalars())
    rows = [row for row in connection.execute(sa_select(runs)).mappings() if row["id"] not in known]
    for row in rows:
        connection.execute(
            attempts.insert().values(
                run_id=row["id"],
                attempt=1,
                kind="forced" if row["forced"] else "first",
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                outcome=row["outcome"],
                counts=row["counts"],
                error=row["error"],
            )
        )
    return len(rows)


def unfinished_runs(engine: Engine, job: str) -> list[RunRecord]:
    """Runs of `job` not done (interrupted or failed), oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(RunRow)
            .where(RunRow.job == job, RunRow.outcome != "done")
            .order_by(col(RunRow.id))
        ).all()
        return [_record(row) for row in rows]


def done_steps(engine: Engine, run_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    """(step, subject) -> detail of every step the run has recorded."""
    with Session(engine) as session:
        rows = session.exec(select(RunStepRow).where(RunStepRow.run_id == run_id)).all()
        return {(row.step, row.subject): json.loads(row.detail) for row in rows}


def record_step(
    engine: Engine, run_id: int, step: str, subject: str, detail: dict[str, Any], now: datetime
) -> None:
    """Record a step as done (recording it twice keeps the first)."""
    row = RunStepRow(
        run_id=run_id,
        step=step,
        subject=subject,
        done_at=now.astimezone(UTC),
        detail=json.dumps(detail, sort_keys=True),
    )
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()


def _delivery(row: DeliveryRow) -> DeliveryRecord:
    return DeliveryRecord(
        key=row.key,
        channel=row.channel,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        payload=json.loads(row.payload),
    )


def delivery(engine: Engine, key: str) -> DeliveryRecord | None:
    with Session(engine) as session:
        row = session.exec(select(DeliveryRow).where(DeliveryRow.key == key)).first()
        return _delivery(row) if row else None


def record_delivery(
    engine: Engine,
    key: str,
    *,
    channel: str,
    payload: dict[str, Any],
    error: str | None,
    attempts: int,
    now: datetime,
) -> None:
    """Record an attempt to deliver `key`: sent when `error` is None, else failed."""
    with Session(engine) as session:
        row = session.exec(select(DeliveryRow).where(DeliveryRow.key == key)).first()
        if row is None:
            row = DeliveryRow(key=key, channel=channel, status="failed", created_at=now)
        row.status = "sent" if error is None else "failed"
        row.attempts += attempts
        row.last_error = error
        row.payload = json.dumps(payload, sort_keys=True)
        row.sent_at = now.astimezone(UTC) if error is None else None
        session.add(row)
        session.commit()


def record_intent(
    engine: Engine, key: str, *, channel: str, payload: dict[str, Any], now: datetime
) -> None:
    """Record that `key` is about to be sent (status `sending`), committed before it is.

    A row still `sending` later means the process died between this and the outcome: the
    message may or may not have left. `payload` keeps what a resend must repeat (Message-ID).
    """
    with Session(engine) as session:
        row = session.exec(select(DeliveryRow).where(DeliveryRow.key == key)).first()
        if row is None:
            row = DeliveryRow(key=key, channel=channel, status="sending", created_at=now)
        row.status = "sending"
        row.payload = json.dumps(payload, sort_keys=True)
        session.add(row)
        session.commit()


def failed_deliveries(engine: Engine, channel: str) -> list[DeliveryRecord]:
    """Deliveries on `channel` whose last attempt failed, oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(DeliveryRow)
            .where(DeliveryRow.channel == channel, DeliveryRow.status == "failed")
            .order_by(col(DeliveryRow.id))
        ).all()
        return [_delivery(row) for row in rows]
