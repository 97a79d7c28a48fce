"""Storing and reading evaluations (the whole Evaluation is kept as JSON, exact numbers as text).

Two kinds of runs share the `evaluation_run` table, told apart by `lifecycle`:

- provisional runs (month to date, what-ifs): `store_provisional` writes one unless a run of
  the period with the same as_of, inputs and result exists. They never stand as a month's
  result and never supersede anything.
- final runs: `store_final` writes one unless the standing final of the month has the same
  input fingerprint (then nothing is written: re-evaluating unchanged inputs is not a
  restatement). A new final of a month that already has one is `restated`; the earlier final
  is kept and points to it through `superseded_by`.

Readers return `Evaluation` objects equal to the ones stored.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from slaengine.adapters.storage.evaluation_codec import (
    FINAL_LIFECYCLES,
    StoredFinal,
    evaluation_document,
    evaluation_from_document,
    lifecycle_of,
    result_digest,
    standing_final,
)
from slaengine.adapters.storage.evaluation_tables import EvaluationObjectiveRow, EvaluationRun
from slaengine.domain.contract.periods import shift_period
from slaengine.domain.evaluation.results import Evaluation, Lifecycle

__all__ = [
    "StoredFinal",
    "evaluation_document",
    "evaluation_from_document",
    "result_digest",
    "standing_final",
]

_FINAL = FINAL_LIFECYCLES


def _runs(session: Session, contract_id: str, period: str) -> Any:
    return (
        select(EvaluationRun)
        .where(EvaluationRun.contract_id == contract_id, EvaluationRun.period == period)
        .order_by(col(EvaluationRun.id))
    )


def _standing_run(session: Session, contract_id: str, period: str) -> EvaluationRun | None:
    statement = (
        _runs(session, contract_id, period)
        .where(col(EvaluationRun.lifecycle).in_(_FINAL))
        .where(col(EvaluationRun.superseded_by).is_(None))
        .order_by(col(EvaluationRun.id).desc())
    )
    run: EvaluationRun | None = session.exec(statement).first()
    return run


def _stored_final(run: EvaluationRun) -> StoredFinal:
    assert run.id is not None
    inputs = json.loads(run.inputs_json) if run.inputs_json else {}
    return StoredFinal(run.id, _from_run(run), run.fingerprint, inputs, run.superseded_by)


def final_runs(engine: Engine, contract_id: str, period: str) -> list[StoredFinal]:
    """Every final result of the month, oldest first (the last one stands)."""
    with Session(engine) as session:
        statement = _runs(session, contract_id, period).where(
            col(EvaluationRun.lifecycle).in_(_FINAL)
        )
        return [_stored_final(run) for run in session.exec(statement).all()]


def store_final(
    engine: Engine,
    evaluation: Evaluation,
    fingerprint: str,
    inputs: dict[str, Any],
    *,
    now: datetime,
) -> tuple[Evaluation, bool]:
    """Store a final result unless the standing one has the same fingerprint.

    Returns (the month's result, whether a run was written). A new final of a month that
    already has one is stored as `restated`; the earlier one is kept and marked superseded.
    """
    with Session(engine) as session:
        standing = _standing_run(session, evaluation.contract_id, evaluation.period)
        if standing is not None and standing.fingerprint == fingerprint:
            return _from_run(standing), False
        lifecycle: Lifecycle = "final" if standing is None else "restated"
        stored = replace(evaluation, lifecycle=lifecycle, restated=standing is not None)
        run = _run_of(stored, fingerprint, result_digest(stored), now)
        run.inputs_json = json.dumps(inputs, sort_keys=True)
        _add_run(session, run, stored)
        if standing is not None:
            standing.superseded_by = run.id
            session.add(standing)
        session.commit()
        return stored, True


def store_provisional(
    engine: Engine, evaluation: Evaluation, fingerprint: str, *, now: datetime
) -> tuple[Evaluation, bool]:
    """Store a provisional result unless one with the same as_of, inputs and result exists."""
    digest = result_digest(evaluation)
    stored = replace(evaluation, lifecycle="provisional", restated=False)
    with Session(engine) as session:
        for run in _provisional_runs(session, evaluation, fingerprint, evaluation.as_of):
            if run.result_digest == digest:
                return stored, False
        _add_run(session, _run_of(stored, fingerprint, digest, now), stored)
        session.commit()
        return stored, True


def stored_provisional(
    engine: Engine, contract_id: str, period: str, as_of: datetime, fingerprint: str
) -> Evaluation | None:
    """The provisional result stored for exactly this as_of and input fingerprint, or None."""
    with Session(engine) as session:
        key = (contract_id, period)
        runs = _provisional_runs(session, key, fingerprint, as_of)
        return _from_run(runs[-1]) if runs else None


def _provisional_runs(
    session: Session, of: Evaluation | tuple[str, str], fingerprint: str, as_of: datetime
) -> list[EvaluationRun]:
    contract_id, period = (of.contract_id, of.period) if isinstance(of, Evaluation) else of
    statement = _runs(session, contract_id, period).where(
        EvaluationRun.lifecycle == "provisional", EvaluationRun.fingerprint == fingerprint
    )  # as_of compared here: SQLite gives naive UTC back
    return [run for run in session.exec(statement).all() if _aware(run.as_of) == as_of]


def _aware(instant: datetime) -> datetime:
    """SQLite gives naive UTC back; PostgreSQL gives aware instants."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _add_run(session: Session, run: EvaluationRun, evaluation: Evaluation) -> None:
    session.add(run)
    session.flush()
    assert run.id is not None
    session.add_all(_objective_rows(run.id, evaluation))


def _run_of(evaluation: Evaluation, fingerprint: str, digest: str, now: datetime) -> EvaluationRun:
    settles = evaluation.settles_at
    return EvaluationRun(
        contract_id=evaluation.contract_id,
        contract_version=evaluation.contract_version,
        period=evaluation.period,
        as_of=evaluation.as_of.astimezone(UTC),
        month_to_date=evaluation.month_to_date,
        input_hashes=json.dumps(list(evaluation.input_hashes)),
        fingerprint=fingerprint,
        result_digest=digest,
        result_json=json.dumps(evaluation_document(evaluation), sort_keys=True),
        created_at=now.astimezone(UTC),
        restated=evaluation.restated,
        lifecycle=evaluation.lifecycle,
        settles_at=None if settles is None else settles.astimezone(UTC),
    )


def _objective_rows(run_id: int, evaluation: Evaluation) -> list[EvaluationObjectiveRow]:
    def text(value: int | Decimal | None) -> str | None:
        return None if value is None else str(value)

    return [
        EvaluationObjectiveRow(
            run_id=run_id,
            objective_id=result.objective_id,
            kpi=result.kpi,
            status=result.status,
            value=result.value,
            numerator=text(result.numerator),
            denominator=text(result.denominator),
            volume=result.volume,
            credit=str(result.credit),
        )
        for result in evaluation.objectives
    ]


def _from_run(run: EvaluationRun) -> Evaluation:
    evaluation = evaluation_from_document(json.loads(run.result_json))
    lifecycle = lifecycle_of(run.lifecycle)
    return replace(evaluation, restated=bool(run.restated), lifecycle=lifecycle)


def latest_provisional(engine: Engine, contract_id: str, period: str) -> Evaluation | None:
    """The provisional run of the period with the latest as_of (ties: the last stored)."""
    with Session(engine) as session:
        statement = (
            _runs(session, contract_id, period)
            .where(EvaluationRun.lifecycle == "provisional")
            .order_by(None)
            .order_by(col(EvaluationRun.as_of).desc(), col(EvaluationRun.id).desc())
        )
        run = session.exec(statement).first()
        return None if run is None else _from_run(run)


def latest_evaluation(engine: Engine, contract_id: str, period: str) -> Evaluation | None:
    """The month's result: its standing final, else its latest provisional run, else None."""
    final = standing_final(engine, contract_id, period)
    if final is not None:
        return final.evaluation
    return latest_provisional(engine, contract_id, period)


def evaluation_history(
    engine: Engine, contract_id: str, last_period: str, months: int
) -> list[Evaluation]:
    """`latest_evaluation` of each of the `months` periods ending at `last_period`, oldest first.

    Periods never evaluated are absent.
    """
    periods = [shift_period(last_period, -step) for step in range(months - 1, -1, -1)]
    found = (latest_evaluation(engine, contract_id, period) for period in periods)
    return [evaluation for evaluation in found if evaluation is not None]


def restatement_history(engine: Engine, contract_id: str, period: str) -> list[Evaluation]:
    """Every final result of the period, oldest first (restated ones have `restated=True`)."""
    return [item.evaluation for item in final_runs(engine, contract_id, period)]


def upgrade_evaluation_lifecycle(connection: Connection) -> None:
    """Add `lifecycle`, `settles_at` and `inputs_json` to an `evaluation_run` lacking them.

    For the lead's Alembic revision. Idempotent. Runs stored before have no lifecycle: they
    were computed as of whatever instant they ran, not as of the settlement instant, so they
    become `provisional` (kept, never the month's result); the next report or `evaluate` of a
    settled month computes its final result.
    """
    present = {column["name"] for column in inspect(connection).get_columns("evaluation_run")}
    postgres = connection.dialect.name == "postgresql"
    timestamp = "TIMESTAMP WITH TIME ZONE" if postgres else "DATETIME"
    wanted = {
        "lifecycle": "VARCHAR(12) NOT NULL DEFAULT 'provisional'",
        "settles_at": f"{timestamp} NULL",
        "inputs_json": "TEXT NULL",
    }
    for name, definition in wanted.items():
        if name not in present:
            connection.execute(text(f"ALTER TABLE evaluation_run ADD COLUMN {name} {definition}"))
    connection.execute(
        text("UPDATE evaluation_run SET lifecycle = 'provisional' WHERE lifecycle IS NULL")
    )
