"""Evaluations as stored (JSON, exact numbers as text), and the month's standing final result.

Apart from `evaluation_repo` (which writes runs through the SQLModel tables): reading a month's
result back and checking it is still current (`evaluate` of a settled month) imports neither
SQLModel nor the ORM. Readers return `Evaluation` objects equal to the ones stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.views import EVALUATION_RUN
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
    """The Evaluation as plain JSON data (dates ISO, money and decimal counts as strings):
    `dataclasses.asdict` then encoded, in one walk (asdict deep-copies every value first,
    about four times slower: the history of a stored month digests ten results)."""
    document: dict[str, Any] = _plain(evaluation)
    return document


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


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
        lifecycle=lifecycle_of(document.get("lifecycle")),
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


def lifecycle_of(value: Any) -> Lifecycle:
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


FINAL_LIFECYCLES = ("final", "restated")


def standing_final(engine: Engine, contract_id: str, period: str) -> StoredFinal | None:
    """The final result that stands as the month's result (the final not superseded), or
    None. Should two stand (never written so), the first stored is taken, as `store_final`
    takes it."""
    run = EVALUATION_RUN
    query = (
        select(*run.c)
        .where(run.c.contract_id == contract_id, run.c.period == period)
        .where(run.c.lifecycle.in_(FINAL_LIFECYCLES), run.c.superseded_by.is_(None))
        .order_by(run.c.id)
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    inputs = json.loads(row["inputs_json"]) if row["inputs_json"] else {}
    evaluation = replace(
        evaluation_from_document(json.loads(row["result_json"])),
        restated=bool(row["restated"]),
        lifecycle=lifecycle_of(row["lifecycle"]),
    )
    return StoredFinal(int(row["id"]), evaluation, row["fingerprint"], inputs, row["superseded_by"])
