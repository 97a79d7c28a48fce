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

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from slaengine.adapters.storage.evaluation_tables import EvaluationObjectiveRow, EvaluationRun
from slaengine.domain.contract.periods import shift_period
from slaengine.domain.evaluation.results import (
    LIFECYCLES,
    ChronicFailureFlag,
    CreditSummary,
    Evaluation,
    ExcludedDay,
    IncentiveSummary,
    Lifecycle,
    ObjectiveResult,
    WindowResult,
)

_VOLATILE = ("as_of", "restated", "month_to_date", "notes", "lifecycle", "settles_at")


def _number(value: int | Decimal | None) -> int | str | None:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _number_back(value: Any) -> int | Decimal | None:
    if isinstance(value, str):
        return Decimal(value)
    return None if value is None else int(value)


def evaluation_document(evaluation: Evaluation) -> dict[str, Any]:
    """The Evaluation as plain JSON data (dates ISO, money and decimal counts as strings)."""

    def encode(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: encode(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [encode(item) for item in value]
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    document: dict[str, Any] = encode(asdict(evaluation))
    return document


def evaluation_from_document(document: dict[str, Any]) -> Evaluation:
    """The inverse of `evaluation_document`."""
    return Evaluation(
        contract_id=document["contract_id"],
        contract_version=int(document["contract_version"]),
        provider_id=document["provider_id"],
        period=document["period"],
        as_of=datetime.fromisoformat(document["as_of"]),
        month_to_date=bool(document["month_to_date"]),
        objectives=tuple(_objective(item) for item in document["objectives"]),
        credits=_credits(document["credits"]),
        chronic_failures=tuple(
            ChronicFailureFlag(
                item["objective_id"],
                tuple(item["breached_periods"]),
                int(item["breaches"]),
                int(item["within_months"]),
            )
            for item in document["chronic_failures"]
        ),
        excluded_days=tuple(
            ExcludedDay(
                date.fromisoformat(item["day"]),
                item["channel"],
                int(item["contacts"]),
                int(item["forecast"]),
                item["reason"],
            )
            for item in document["excluded_days"]
        ),
        input_hashes=tuple(document["input_hashes"]),
        restated=bool(document["restated"]),
        notes=tuple(document["notes"]),
        incentives=_incentives(document.get("incentives")),
        lifecycle=_lifecycle(document.get("lifecycle")),
        settles_at=_instant(document.get("settles_at")),
    )


def _incentives(item: dict[str, Any] | None) -> IncentiveSummary | None:
    if item is None:
        return None
    return IncentiveSummary(
        currency=item["currency"],
        cap=Decimal(item["cap"]),
        uncapped=Decimal(item["uncapped"]),
        total=Decimal(item["total"]),
        earned={key: Decimal(amount) for key, amount in item["earned"].items()},
        offset_credits=bool(item["offset_credits"]),
        credits_offset=Decimal(item["credits_offset"]),
    )


def _lifecycle(value: Any) -> Lifecycle:
    for lifecycle in LIFECYCLES:
        if value == lifecycle:
            return lifecycle
    return "provisional"  # runs stored before the lifecycle existed


def _instant(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _window(item: dict[str, Any]) -> WindowResult:
    return WindowResult(
        start=date.fromisoformat(item["start"]),
        end=date.fromisoformat(item["end"]),
        status=item["status"],
        value=item["value"],
        numerator=_number_back(item["numerator"]),
        denominator=_number_back(item["denominator"]),
        volume=int(item["volume"]),
        reason=item["reason"],
    )


def _objective(item: dict[str, Any]) -> ObjectiveResult:
    fields = dict(item)
    fields["channels"] = tuple(item["channels"])
    fields["windows"] = tuple(_window(window) for window in item["windows"])
    fields["numerator"] = _number_back(item["numerator"])
    fields["denominator"] = _number_back(item["denominator"])
    fields["credit"] = Decimal(item["credit"])
    fields["earned_back"] = Decimal(item["earned_back"])
    return ObjectiveResult(**fields)


def _credits(item: dict[str, Any]) -> CreditSummary:
    return CreditSummary(
        currency=item["currency"],
        at_risk=Decimal(item["at_risk"]),
        uncapped=Decimal(item["uncapped"]),
        total=Decimal(item["total"]),
        earned_back=Decimal(item["earned_back"]),
        capped=bool(item["capped"]),
    )


def result_digest(evaluation: Evaluation) -> str:
    """sha256 of the result without what changes from run to run (as_of, notes, flags)."""
    document = evaluation_document(evaluation)
    for key in _VOLATILE:
        document.pop(key, None)
    if document.get("incentives") is None:  # digests of results stored before incentives
        document.pop("incentives", None)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StoredFinal:
    """A final run as stored: its result, the fingerprint and inputs it was keyed by."""

    run_id: int
    evaluation: Evaluation
    fingerprint: str
    inputs: dict[str, Any]
    superseded_by: int | None


_FINAL = ("final", "restated")


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


def standing_final(engine: Engine, contract_id: str, period: str) -> StoredFinal | None:
    """The final result that stands as the month's result (the latest final), or None."""
    with Session(engine) as session:
        run = _standing_run(session, contract_id, period)
        return None if run is None else _stored_final(run)


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
    lifecycle = _lifecycle(run.lifecycle)
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
