"""Stored evaluations: finals read back equal, nothing new for the same inputs, restatements
kept, provisional runs apart, and the upgrade of an evaluation table older than the lifecycle."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.evaluation_repo import (
    evaluation_document,
    evaluation_history,
    latest_evaluation,
    restatement_history,
    standing_final,
    store_final,
    store_provisional,
    upgrade_evaluation_lifecycle,
)
from slaengine.adapters.storage.evaluation_tables import EvaluationObjectiveRow, EvaluationRun
from slaengine.domain.evaluation.evaluate import evaluate
from slaengine.domain.evaluation.kpis import Counts
from slaengine.domain.evaluation.results import Evaluation, ExcludedDay
from tests.test_evaluation import CREDITS, contract, sl

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 20, tzinfo=UTC)


def october(within: int, *, as_of: datetime = NOW, period: str = "2026-10") -> Evaluation:
    terms = contract(
        sl(window="week"),
        {"id": "asa", "channel": "phone", "kpi": "average_speed_of_answer", "target": "<= 30s"},
        credits=CREDITS,
    )
    first = date.fromisoformat(f"{period}-01")
    counts = Counts(offered=100, answered=100, answered_within=within, wait_us_answered=1_500_000)
    return evaluate(
        terms,
        period,
        {"sl": {first: counts}, "asa": {first: counts}},
        as_of=as_of,
        excluded_days=(ExcludedDay(first, "phone", 120, 100, "volume band"),),
        input_hashes=("abc", "def"),
    )


def runs(engine: Engine) -> list[EvaluationRun]:
    with Session(engine) as session:
        return list(session.exec(select(EvaluationRun).order_by(EvaluationRun.id)).all())  # type: ignore[arg-type]


def final(within: int, *, period: str = "2026-10") -> Evaluation:
    return replace(october(within, period=period), lifecycle="final", settles_at=NOW)


INPUTS = {"feeds": ["abc", "def"]}


def test_a_stored_final_reads_back_equal(engine: Engine) -> None:
    evaluation = final(70)
    assert store_final(engine, evaluation, "fp1", INPUTS, now=NOW) == (evaluation, True)
    assert latest_evaluation(engine, "test", "2026-10") == evaluation
    assert latest_evaluation(engine, "test", "2026-09") is None
    standing = standing_final(engine, "test", "2026-10")
    assert standing is not None and standing.inputs == INPUTS
    with Session(engine) as session:
        rows = session.exec(select(EvaluationObjectiveRow)).all()
    assert sorted((row.objective_id, row.status, row.numerator, row.credit) for row in rows) == [
        ("asa", "met", "1.5", "0.00"),
        ("sl", "breached", "70", "6000.00"),
    ]


def test_the_same_inputs_write_nothing_new(engine: Engine) -> None:
    store_final(engine, final(70), "fp1", INPUTS, now=NOW)
    stored, written = store_final(engine, final(70), "fp1", INPUTS, now=LATER)
    assert (written, stored.lifecycle, len(runs(engine))) == (False, "final", 1)


def test_different_inputs_are_a_restatement_keeping_the_earlier_final(engine: Engine) -> None:
    store_final(engine, final(70), "fp1", INPUTS, now=NOW)
    restated, written = store_final(engine, final(85), "fp2", INPUTS, now=LATER)
    assert written and restated.restated and restated.lifecycle == "restated"
    latest = latest_evaluation(engine, "test", "2026-10")
    assert latest is not None and latest.lifecycle == "restated"
    assert latest.objectives[0].status == "met"
    history = restatement_history(engine, "test", "2026-10")
    assert [(item.lifecycle, item.objectives[0].status) for item in history] == [
        ("final", "breached"),
        ("restated", "met"),
    ]
    first, second = runs(engine)
    assert first.superseded_by == second.id


def test_provisional_runs_stay_apart_from_the_month_result(engine: Engine) -> None:
    mid = datetime(2026, 10, 15, tzinfo=UTC)
    what_if = october(20, as_of=mid)
    assert store_provisional(engine, what_if, "fp1", now=mid)[1] is True
    assert store_provisional(engine, what_if, "fp1", now=LATER)[1] is False  # same as_of
    assert latest_evaluation(engine, "test", "2026-10") == what_if  # nothing better yet
    store_final(engine, final(75), "fp2", INPUTS, now=NOW)
    store_provisional(engine, october(10, as_of=datetime(2026, 10, 20, tzinfo=UTC)), "f", now=NOW)
    standing = latest_evaluation(engine, "test", "2026-10")
    assert standing is not None and standing.lifecycle == "final"
    assert standing.objectives[0].numerator == 75
    assert [item.lifecycle for item in restatement_history(engine, "test", "2026-10")] == ["final"]
    assert [run.lifecycle for run in runs(engine)] == ["provisional", "final", "provisional"]


def test_history_lists_the_result_of_each_month_oldest_first(engine: Engine) -> None:
    for period in ("2026-07", "2026-08", "2026-10"):
        store_final(engine, final(70, period=period), period, INPUTS, now=NOW)
    found = evaluation_history(engine, "test", "2026-10", 3)
    assert [item.period for item in found] == ["2026-08", "2026-10"]
    assert found[0].credits.total == Decimal("6000.00")


def test_the_upgrade_adds_the_lifecycle_and_old_runs_read_as_provisional(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    create_schema(engine)
    old = october(70)
    document = evaluation_document(old)
    for key in ("lifecycle", "settles_at"):
        document.pop(key)
    with engine.begin() as connection:  # the table as it was before the lifecycle
        for column in ("lifecycle", "settles_at", "inputs_json"):
            connection.execute(text(f"ALTER TABLE evaluation_run DROP COLUMN {column}"))
        connection.execute(
            text(
                "INSERT INTO evaluation_run (contract_id, contract_version, period, as_of,"
                " month_to_date, input_hashes, fingerprint, result_digest, result_json,"
                " created_at, restated) VALUES ('test', 1, '2026-10', :t, false, '[]', 'f',"
                " 'd', :doc, :t, false)"
            ),
            {"t": NOW, "doc": json.dumps(document)},
        )
    with engine.begin() as connection:
        upgrade_evaluation_lifecycle(connection)
        upgrade_evaluation_lifecycle(connection)  # idempotent
    create_schema(engine)
    assert [run.lifecycle for run in runs(engine)] == ["provisional"]
    assert standing_final(engine, "test", "2026-10") is None
    assert latest_evaluation(engine, "test", "2026-10") == old
    store_final(engine, final(85), "fp", INPUTS, now=LATER)
    assert [run.lifecycle for run in runs(engine)] == ["provisional", "final"]
    engine.dispose()
