"""Continuous improvement: a target moves halfway to the achieved average, worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from slaengine.adapters.yaml.contract import parse_contract_text
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.evaluate import evaluate
from slaengine.domain.evaluation.kpis import Counts
from slaengine.domain.evaluation.results import CreditSummary, Evaluation, ObjectiveResult
from slaengine.domain.money.improvement import targets_in_force
from tests.test_contract_spec import BASE

RULE = "continuous_improvement:\n  after_months: 3\n  move: halfway\n"
ASA = '  - id: asa\n    channel: phone\n    kpi: average_speed_of_answer\n    target: "<= 30s"\n'


def contract(extra: str = "") -> Contract:
    return parse_contract_text(BASE + ASA + RULE + extra)


def sl(status: str, answered: int, target: str = ">= 80%") -> ObjectiveResult:
    return ObjectiveResult(
        objective_id="phone-sl", kpi="service_level", level="key", channels=("phone",),
        status=status, value=answered / 1000, target=target,  # type: ignore[arg-type]
        target_value=None, numerator=answered, denominator=1000, volume=1000,
    )  # fmt: skip


def asa(seconds: int, target: str = "<= 30s") -> ObjectiveResult:
    return ObjectiveResult(
        objective_id="asa", kpi="average_speed_of_answer", level="key", channels=("phone",),
        status="met", value=seconds / 100, target=target, target_value=None,
        numerator=Decimal(seconds), denominator=100, volume=100,
    )  # fmt: skip


def month(period: str, *results: ObjectiveResult) -> Evaluation:
    return Evaluation(
        contract_id="demo", contract_version=1, provider_id="p", period=period,
        as_of=datetime(2026, 12, 1, tzinfo=UTC), month_to_date=False, objectives=results,
        credits=CreditSummary("EUR", Decimal("0"), Decimal("0"), Decimal("0")),
    )  # fmt: skip


HISTORY = [
    month("2026-01", sl("met", 900), asa(2000)),
    month("2026-02", sl("met", 850), asa(2200)),
    month("2026-03", sl("met", 880), asa(2400)),
]


def test_three_months_above_target_move_it_halfway_to_the_pooled_average() -> None:
    raised = {t.objective_id: t for t in targets_in_force(contract(), "2026-04", HISTORY)}
    # phone-sl: 2630 / 3000 = 87.666..%; halfway from 80 %: 83.8333..% -> 83.83 % (towards 80)
    assert str(raised["phone-sl"].target) == ">= 83.83%"
    assert raised["phone-sl"].reason == (
        "phone-sl: target raised from ≥ 80 % to ≥ 83.83 % (continuous improvement: 3"
        " consecutive months better than ≥ 80 %, 2026-01..2026-03, average 87.67 %;"
        " moved halfway)"
    )
    # asa: 6600 s over 300 answers = 22 s; halfway from 30 s: 26 s
    assert str(raised["asa"].target) == "<= 26s"


def test_a_month_only_at_target_or_missing_breaks_the_run() -> None:
    at_target = [HISTORY[0], month("2026-02", sl("met", 800), asa(2200)), HISTORY[2]]
    assert [t.objective_id for t in targets_in_force(contract(), "2026-04", at_target)] == ["asa"]
    assert targets_in_force(contract(), "2026-04", [HISTORY[0], HISTORY[2]]) == ()
    breached = [*HISTORY[:2], month("2026-03", sl("breached", 990))]
    assert "phone-sl" not in {
        t.objective_id for t in targets_in_force(contract(), "2026-04", breached)
    }


def test_a_raised_target_stays_in_force_and_the_run_starts_again() -> None:
    history = [*HISTORY[1:], month("2026-04", sl("met", 900, ">= 83.83%"))]
    [carried] = [
        t for t in targets_in_force(contract(), "2026-05", history) if t.objective_id == "phone-sl"
    ]
    assert str(carried.target) == ">= 83.83%"
    assert carried.reason == (
        "phone-sl: target ≥ 83.83 % in force since a continuous-improvement raise"
        " (contract target ≥ 80 %)"
    )


def test_only_the_objectives_named_improve() -> None:
    named = contract("  objectives: [asa]\n")
    assert [t.objective_id for t in targets_in_force(named, "2026-04", HISTORY)] == ["asa"]


def test_without_the_block_targets_never_move() -> None:
    assert targets_in_force(parse_contract_text(BASE + ASA), "2026-04", HISTORY) == ()


def test_the_evaluation_judges_the_month_against_the_target_in_force_and_says_why() -> None:
    days = {date(2026, 4, 2): Counts(offered=1000, answered_within=830)}
    result = evaluate(contract(), "2026-04", {"phone-sl": days},
                      as_of=datetime(2026, 5, 2, tzinfo=UTC), history=HISTORY)  # fmt: skip
    [phone] = [r for r in result.objectives if r.objective_id == "phone-sl"]
    # 83 % meets the contract's 80 % but not the 83.83 % in force
    assert (phone.status, phone.target, phone.target_value) == ("breached", ">= 83.83%", 0.8383)
    assert any(note.startswith("phone-sl: target raised from ≥ 80 % to ≥ 83.83 %")
               for note in result.notes)  # fmt: skip
