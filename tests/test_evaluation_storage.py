"""Stored evaluations: read back equal, nothing new for the same inputs, restatements kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from slaengine.adapters.storage.evaluation_repo import (
    evaluation_history,
    latest_evaluation,
    restatement_history,
    store_evaluation,
)
from slaengine.adapters.storage.evaluation_tables import EvaluationObjectiveRow, EvaluationRun
from slaengine.domain.evaluation import evaluate
from slaengine.domain.kpis import Counts
from slaengine.domain.results import Evaluation, ExcludedDay
from tests.test_evaluation import CREDITS, contract, sl

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


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


def test_a_stored_evaluation_reads_back_equal(engine: Engine) -> None:
    evaluation = october(70)
    store_evaluation(engine, evaluation, "fp1", now=NOW)
    assert latest_evaluation(engine, "test", "2026-10") == evaluation
    assert latest_evaluation(engine, "test", "2026-09") is None
    with Session(engine) as session:
        rows = session.exec(select(EvaluationObjectiveRow)).all()
    assert sorted((row.objective_id, row.status, row.numerator, row.credit) for row in rows) == [
        ("asa", "met", "1.5", "0.00"),
        ("sl", "breached", "70", "6000.00"),
    ]


def test_re_evaluating_the_same_inputs_writes_nothing_new(engine: Engine) -> None:
    store_evaluation(engine, october(70), "fp1", now=NOW)
    later = october(70, as_of=datetime(2026, 11, 20, tzinfo=UTC))
    stored = store_evaluation(engine, later, "fp1", now=NOW)
    assert len(runs(engine)) == 1
    assert stored.as_of == NOW  # the run already stored, not the later as_of


def test_different_inputs_for_a_closed_period_are_a_restatement_keeping_the_earlier_result(
    engine: Engine,
) -> None:
    store_evaluation(engine, october(70), "fp1", now=NOW)
    restated = store_evaluation(engine, october(85), "fp2", now=NOW)
    assert restated.restated
    latest = latest_evaluation(engine, "test", "2026-10")
    assert latest is not None and latest.restated and latest.objectives[0].status == "met"
    history = restatement_history(engine, "test", "2026-10")
    assert [(item.restated, item.objectives[0].status) for item in history] == [
        (False, "breached"),
        (True, "met"),
    ]
    first, second = runs(engine)
    assert first.superseded_by == second.id


def test_month_to_date_runs_are_superseded_without_restatement(engine: Engine) -> None:
    mid = datetime(2026, 10, 15, tzinfo=UTC)
    store_evaluation(engine, october(70, as_of=mid), "fp1", now=mid)
    closed = store_evaluation(engine, october(75), "fp2", now=NOW)
    assert not closed.restated
    assert len(runs(engine)) == 2


def test_history_lists_the_current_evaluation_of_each_month_oldest_first(engine: Engine) -> None:
    for period in ("2026-07", "2026-08", "2026-10"):
        as_of = datetime(2026, 12, 1, tzinfo=UTC)
        store_evaluation(engine, october(70, as_of=as_of, period=period), period, now=NOW)
    found = evaluation_history(engine, "test", "2026-10", 3)
    assert [item.period for item in found] == ["2026-08", "2026-10"]
    assert found[0].credits.total == Decimal("6000.00")
