"""Storing and reading evaluations (the whole Evaluation is kept as JSON, exact numbers as text).

- `store_evaluation` writes nothing when the latest run of the period has the same input
  fingerprint and the same result; otherwise it writes a new run and marks the previous one
  superseded. When the previous run was of the CLOSED period (as_of at or after its end),
  the new run is a restatement (`restated`): both stay readable.
- Readers return `Evaluation` objects equal to the ones stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from slaengine.adapters.storage.evaluation_tables import EvaluationObjectiveRow, EvaluationRun
from slaengine.domain.credits import shift_period
from slaengine.domain.results import (
    ChronicFailureFlag,
    CreditSummary,
    Evaluation,
    ExcludedDay,
    IncentiveSummary,
    ObjectiveResult,
    WindowResult,
)

_VOLATILE = ("as_of", "restated", "month_to_date", "notes")


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


def _latest_run(session: Session, contract_id: str, period: str) -> EvaluationRun | None:
    statement = (
        select(EvaluationRun)
        .where(EvaluationRun.contract_id == contract_id, EvaluationRun.period == period)
        .where(col(EvaluationRun.superseded_by).is_(None))
        .order_by(col(EvaluationRun.id).desc())
    )
    return session.exec(statement).first()


def store_evaluation(
    engine: Engine, evaluation: Evaluation, fingerprint: str, *, now: datetime
) -> Evaluation:
    """Store a run unless the latest one has the same inputs and result; returns what is stored.

    The returned Evaluation carries `restated=True` when it restates a closed period.
    """
    digest = result_digest(evaluation)
    with Session(engine) as session:
        latest = _latest_run(session, evaluation.contract_id, evaluation.period)
        if (
            latest is not None
            and latest.fingerprint == fingerprint
            and latest.result_digest == digest
        ):
            return _from_run(latest)
        restated = latest is not None and not latest.month_to_date and not evaluation.month_to_date
        stored = replace(evaluation, restated=restated or evaluation.restated)
        run = _run_of(stored, fingerprint, digest, now)
        session.add(run)
        session.flush()
        assert run.id is not None
        session.add_all(_objective_rows(run.id, stored))
        if latest is not None:
            latest.superseded_by = run.id
            session.add(latest)
        session.commit()
        return stored


def _run_of(evaluation: Evaluation, fingerprint: str, digest: str, now: datetime) -> EvaluationRun:
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
    return replace(evaluation, restated=bool(run.restated))


def latest_evaluation(engine: Engine, contract_id: str, period: str) -> Evaluation | None:
    """The current (not superseded) evaluation of the period, or None."""
    with Session(engine) as session:
        run = _latest_run(session, contract_id, period)
        return None if run is None else _from_run(run)


def evaluation_history(
    engine: Engine, contract_id: str, last_period: str, months: int
) -> list[Evaluation]:
    """The current evaluation of each of the `months` periods ending at `last_period`, oldest first.

    Periods never evaluated are absent.
    """
    periods = [shift_period(last_period, -step) for step in range(months - 1, -1, -1)]
    found = (latest_evaluation(engine, contract_id, period) for period in periods)
    return [evaluation for evaluation in found if evaluation is not None]


def restatement_history(engine: Engine, contract_id: str, period: str) -> list[Evaluation]:
    """Every stored run of the period, oldest first (restated ones have `restated=True`)."""
    with Session(engine) as session:
        statement = (
            select(EvaluationRun)
            .where(EvaluationRun.contract_id == contract_id, EvaluationRun.period == period)
            .order_by(col(EvaluationRun.id))
        )
        return [_from_run(run) for run in session.exec(statement).all()]
