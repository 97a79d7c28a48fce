"""A stored month's final result is read back from storage alone only while it is current.

`current_final` answers `evaluate` of a settled month without validating a contract,
computing a settlement instant or opening a feed file. It must give exactly what the full
evaluation gives, and give nothing (leaving the month to the full evaluation) as soon as
anything the month depends on changed: a feed file of the month, an earlier month of its
history, relief, a settlement still to come. Run on every storage backend.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.read import file_ids
from slaengine.adapters.storage import relief_repo
from slaengine.adapters.storage.evaluation_codec import evaluation_document
from slaengine.adapters.storage.feed_repo import _part_file_ids, us_of
from slaengine.adapters.yaml.contract import load_contract_file
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.relief import ReliefRequest
from slaengine.services import evaluation
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import (
    current_final,
    history_months,
    run_evaluation,
    stored_history_months,
)
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS

HEADER = "contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds\n"
OCTOBER = HEADER + (
    "c1,phone,general,2026-10-05T08:00:00+02:00,2026-10-05T08:00:10+02:00,,120\n"
    "c2,phone,general,2026-10-05T09:00:00+02:00,,2026-10-05T09:01:00+02:00,\n"
    "c3,email,general,2026-10-31T23:30:00+01:00,2026-11-01T08:00:00+01:00,,300\n"
)
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)  # acme-l1's October settles on 4 November


def _feed(engine: Engine, folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    ingest_feed(engine, "acme-l1", "contacts", path)


@pytest.fixture
def settled(engine: Engine, tmp_path: Path) -> Engine:
    """acme-l1 (earn-back and chronic failure: October depends on earlier months) with a few
    October contacts, October's final result and those of the months before it stored."""
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    _feed(engine, tmp_path, "october.csv", OCTOBER)
    assert run_evaluation(engine, "acme-l1", "2026-10", as_of=AS_OF).stored
    return engine


def _full(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> evaluation.EvaluationOutcome:
    """`run_evaluation` with the stored-month shortcut switched off: the full evaluation."""
    with monkeypatch.context() as patched:
        patched.setattr(evaluation, "current_final", lambda *args: None)
        return run_evaluation(engine, "acme-l1", "2026-10", as_of=AS_OF)


def test_an_unchanged_month_is_read_back_exactly_as_the_full_evaluation_returns_it(
    settled: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_back = current_final(settled, "acme-l1", "2026-10", AS_OF)
    full = _full(settled, monkeypatch)
    assert read_back is not None
    assert full.stored is False  # the full evaluation found the inputs unchanged too
    assert read_back == full.evaluation
    assert evaluation.evaluation_to_json(read_back) == evaluation.evaluation_to_json(
        full.evaluation
    )


def test_a_new_feed_file_of_the_month_leaves_it_to_the_full_evaluation(
    settled: Engine, tmp_path: Path
) -> None:
    more = HEADER + "c9,phone,general,2026-10-06T08:00:00+02:00,2026-10-06T08:00:05+02:00,,60\n"
    _feed(settled, tmp_path, "more.csv", more)
    assert current_final(settled, "acme-l1", "2026-10", AS_OF) is None
    outcome = run_evaluation(settled, "acme-l1", "2026-10", as_of=AS_OF)
    assert (outcome.stored, outcome.evaluation.lifecycle) == (True, "restated")
    assert current_final(settled, "acme-l1", "2026-10", AS_OF) == outcome.evaluation


def test_a_change_in_an_earlier_month_is_seen_through_the_history(
    settled: Engine, tmp_path: Path
) -> None:
    september = HEADER + "s1,phone,general,2026-09-10T08:00:00+02:00,,2026-09-10T08:05:00+02:00,\n"
    _feed(settled, tmp_path, "september.csv", september)
    assert current_final(settled, "acme-l1", "2026-10", AS_OF) is None
    assert current_final(settled, "acme-l1", "2026-08", AS_OF) is not None  # before: unchanged
    outcome = run_evaluation(settled, "acme-l1", "2026-10", as_of=AS_OF)
    assert outcome.stored  # September's result changed: October's history digest with it


def test_relief_requested_for_the_contract_leaves_the_month_to_the_full_evaluation(
    settled: Engine,
) -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)  # another month, still pending: not in the key
    request = ReliefRequest(0, "acme-l1", at, at, ("phone",), None, "outage", "ops", at)
    relief_repo.insert_request(settled, request, None)
    assert current_final(settled, "acme-l1", "2026-10", AS_OF) is None


def test_before_the_settlement_instant_no_final_result_is_read_back(settled: Engine) -> None:
    assert current_final(settled, "acme-l1", "2026-10", datetime(2026, 11, 2, tzinfo=UTC)) is None
    assert current_final(settled, "acme-l1", "2026-11", AS_OF) is None  # never evaluated


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"credits": None},
        {"chronic_failure": None, "credits": None},
        {"continuous_improvement": {"after_months": 7}},
        {"chronic_failure": {"breaches": 2, "within_months": 30}},
    ],
)
def test_the_months_of_history_read_from_a_stored_document_are_the_models(
    change: dict[str, object],
) -> None:
    document = load_contract_file(CONTRACTS / "acme-l1.yaml").to_document()
    changed = copy.deepcopy(document) | change
    contract = Contract.model_validate({k: v for k, v in changed.items() if v is not None})
    assert stored_history_months(contract.to_document()) == history_months(contract)


def test_every_shipped_contract_has_the_same_months_of_history_both_ways() -> None:
    for path in sorted(CONTRACTS.glob("*.yaml")):
        contract = load_contract_file(path)
        assert stored_history_months(contract.to_document()) == history_months(contract), path


def test_the_registry_answers_the_files_of_a_month_as_the_parquet_scan_does(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Parts lie wholly inside a month, or straddle it (the rows then counted by polars)."""
    load_contracts(sqlite_engine, [CONTRACTS / "acme-l1.yaml"])
    straddling = HEADER + (
        "x1,phone,general,2026-09-30T23:30:00+02:00,,2026-09-30T23:31:00+02:00,\n"
        "x2,phone,general,2026-10-01T00:30:00+02:00,,2026-10-01T00:31:00+02:00,\n"
    )
    _feed(sqlite_engine, tmp_path, "october.csv", OCTOBER)
    _feed(sqlite_engine, tmp_path, "straddling.csv", straddling)
    windows = [
        ("2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00"),  # Paris October
        ("2026-10-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00"),  # UTC October
        ("2026-09-30T22:00:00+00:00", "2026-09-30T22:00:01+00:00"),  # one second
        ("2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00"),  # November: no part
        ("2026-09-01T00:00:00+02:00", "2026-10-01T00:00:00+02:00"),  # September
    ]
    for start, end in windows:
        bounds = us_of(datetime.fromisoformat(start)), us_of(datetime.fromisoformat(end))
        expected = file_ids(sqlite_engine, "contacts", "acme-l1", *bounds)
        assert _part_file_ids(sqlite_engine, "contacts", "acme-l1", *bounds) == expected, start


def _encoded(value: Any) -> Any:
    """How results were stored before: `dataclasses.asdict`, then this encoding."""
    if isinstance(value, dict):
        return {key: _encoded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encoded(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def test_a_result_is_stored_as_asdict_and_its_encoding_stored_it_before(settled: Engine) -> None:
    result = current_final(settled, "acme-l1", "2026-10", AS_OF)
    assert result is not None and result.objectives and result.objectives[0].windows
    assert evaluation_document(result) == _encoded(asdict(result))
