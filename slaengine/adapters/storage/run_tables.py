"""The run ledger, deliveries and the scheduler lease (tables created by create_all).

- `run_ledger`: one row per run of a job for a period (`monthly_close` 2026-10, `pull`
  2026-11-02...). (job, period, generation) is unique: generation 0 is THE run of that
  period; `--force` adds generation 1, 2... marked `forced`.
- `run_attempt`: every attempt at a run, kept: the first, each resumption of an unfinished
  run, each forced or repeated generation's start, each call that found the run done and
  skipped it; with its own start and finish instants, outcome, counts and error. A process
  killed mid-attempt leaves it `running`; the next attempt marks it `interrupted`.
- `run_step`: the steps a run has done (pulled, evaluated, reported, delivered), one row per
  (run, step, subject): a run killed midway is completed by the next without doing any twice.
- `delivery`: every e-mail and webhook alert by a unique key, sent or failed (retried later);
  an e-mail is `sending` from just before it is handed to the server until its outcome.
- `scheduler_lease`: named locks with a holder and an expiry (SQLite; PostgreSQL uses
  advisory locks and keeps a row here only to say who holds them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class RunRow(SQLModel, table=True):
    __tablename__ = "run_ledger"
    __table_args__ = (UniqueConstraint("job", "period", "generation", name="uq_run_ledger"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(index=True, max_length=32)
    period: str = Field(index=True, max_length=10)
    generation: int = 0
    forced: bool = False
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    outcome: str = Field(default="running", max_length=16)  # running, done, failed
    counts: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON object
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RunAttemptRow(SQLModel, table=True):
    __tablename__ = "run_attempt"
    __table_args__ = (UniqueConstraint("run_id", "attempt", name="uq_run_attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run_ledger.id", index=True)
    attempt: int = 1  # 1, 2, ... within the run
    kind: str = Field(max_length=16)  # first, resumed, forced, again, skipped
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    outcome: str = Field(default="running", max_length=16)  # running, done, failed, ...
    counts: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON object
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RunStepRow(SQLModel, table=True):
    __tablename__ = "run_step"
    __table_args__ = (UniqueConstraint("run_id", "step", "subject", name="uq_run_step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run_ledger.id", index=True)
    step: str = Field(max_length=16)
    subject: str = Field(max_length=64)
    done_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON object


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "delivery"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    channel: str = Field(max_length=16)  # email, webhook
    status: str = Field(max_length=16)  # sending (outcome unknown), sent, failed
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON, to retry
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class LeaseRow(SQLModel, table=True):
    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
