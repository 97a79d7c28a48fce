"""Incentives (bonus beside the credits' malus): rules at FILE:LINE:COL, money worked by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from slaengine.adapters.yaml.contract import parse_contract_text
from slaengine.domain.contract.incentive_rules import at_least_as_strict
from slaengine.domain.contract.model import Contract
from slaengine.domain.contract.units import Target
from slaengine.domain.evaluation.results import CreditSummary, ObjectiveResult
from slaengine.domain.money.incentives import cap_amount, earn_incentives, net_position
from tests.test_contract_spec import BASE, problems_of

CREDITS = "credits:\n  monthly_fee: 1000.00\n  at_risk: 10%\n"


def D(text: str) -> Decimal:
    return Decimal(text)


# ------------------------------------------------------------------ rules


def test_a_valid_incentives_block_is_accepted() -> None:
    text = (
        BASE
        + CREDITS
        + ('incentives:\n  cap: 3%\n  earn:\n    phone-sl: {when: ">= 90%", share: 100%}\n')
    )
    contract = parse_contract_text(text)
    assert contract.incentives is not None
    assert contract.incentives.offset_credits is False
    assert cap_amount(contract) == D("30.00")


def test_every_incentive_mistake_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    text = (
        BASE
        + CREDITS
        + (
            "incentives:\n"  # 25
            "  cap: 150%\n"  # 26
            "  earn:\n"  # 27
            '    phone-sl: {when: ">= 75%", share: 60%}\n'  # 28
            '    phone-sk: {when: ">= 90%", share: 50%}\n'  # 29
        )
    )
    assert problems_of(text, tmp_path) == [
        "26:8: cap is a share of the monthly fee: at most 100%, found 150%",
        "27:3: incentive shares add up to 110%: at most 100% of the cap",
        "28:22: phone-sl: `when` >= 75% is looser than the target >= 80%: an incentive"
        " rewards doing better than the target",
        "29:5: incentives name objective 'phone-sk', which the contract does not define;"
        " did you mean 'phone-sl'?",
    ]


def test_a_when_in_another_unit_or_direction_is_refused(tmp_path: Path) -> None:
    seconds = (
        BASE
        + CREDITS
        + 'incentives:\n  cap: 3%\n  earn:\n    phone-sl: {when: "<= 20s", share: 50%}\n'
    )
    assert problems_of(seconds, tmp_path) == [
        "28:22: phone-sl is measured in a percentage (target >= 80%): write `when` in the"
        " same unit, found <= 20s"
    ]
    downwards = seconds.replace("<= 20s", "<= 90%")
    assert problems_of(downwards, tmp_path) == [
        "28:22: phone-sl: `when` <= 90% points the other way from the target >= 80%:"
        " higher is better"
    ]


def test_incentives_need_a_fee(tmp_path: Path) -> None:
    text = BASE + 'incentives:\n  cap: 3%\n  earn:\n    phone-sl: {when: ">= 90%", share: 50%}\n'
    assert problems_of(text, tmp_path) == [
        "22:1: incentives are a share of the monthly fee: add a credits block with monthly_fee"
    ]


def test_continuous_improvement_names_existing_objectives(tmp_path: Path) -> None:
    text = BASE + "continuous_improvement:\n  after_months: 12\n  objectives: [phone-sl, phone-s]\n"
    assert problems_of(text, tmp_path) == [
        "24:26: no objective 'phone-s' in the contract; did you mean 'phone-sl'?"
    ]


def test_strictness_compares_value_then_operator() -> None:
    target = Target.parse(">= 80%")
    assert at_least_as_strict(Target.parse(">= 80%"), target)
    assert at_least_as_strict(Target.parse("> 80%"), target)
    assert not at_least_as_strict(Target.parse(">= 80%"), Target.parse("> 80%"))
    assert not at_least_as_strict(Target.parse(">= 79.9%"), target)
    assert at_least_as_strict(Target.parse("<= 20s"), Target.parse("<= 30s"))
    assert not at_least_as_strict(Target.parse("<= 31s"), Target.parse("<= 30s"))


# ------------------------------------------------------------------ money


def contract_with(
    earn: dict[str, tuple[str, str]],
    *,
    fee: str = "120000.00",
    cap: str = "3%",
    offset: bool = False,
) -> Contract:
    """Objectives a, b, c: service_level >= 80%, earning per `earn` (id -> (when, share))."""
    objectives = "".join(
        f'  - {{id: {key}, channel: phone, kpi: service_level, threshold: 20s, target: ">= 80%"}}\n'
        for key in ("a", "b", "c")
    )
    lines = "".join(
        f'    {key}: {{when: "{when}", share: {share}}}\n' for key, (when, share) in earn.items()
    )
    text = (
        BASE.split("objectives:")[0]
        + "objectives:\n"
        + objectives
        + f"credits:\n  monthly_fee: {fee}\n  at_risk: 10%\n"
        + f"incentives:\n  cap: {cap}\n  earn:\n{lines}"
        + f"  offset_credits: {'true' if offset else 'false'}\n"
    )
    return parse_contract_text(text)


def month(objective_id: str, status: str, numerator: int, denominator: int) -> ObjectiveResult:
    return ObjectiveResult(
        objective_id=objective_id,
        kpi="service_level",
        level="key",
        channels=("phone",),
        status=status,  # type: ignore[arg-type]
        value=numerator / denominator,
        target=">= 80%",
        target_value=0.8,
        numerator=numerator,
        denominator=denominator,
        volume=denominator,
    )


def credits(total: str = "0.00") -> CreditSummary:
    return CreditSummary("EUR", D("12000.00"), D(total), D(total))


TWO = {"a": (">= 90%", "50%"), "b": (">= 92%", "50%")}


def test_each_objective_meeting_when_earns_its_share_of_the_cap() -> None:
    contract = contract_with(TWO)
    # cap 3% of 120000.00 = 3600.00; a: 9100/10000 = 91% >= 90%; b: 460/500 = 92% exactly
    summary = earn_incentives(
        contract, [month("a", "met", 9100, 10000), month("b", "met", 460, 500)], credits()
    )
    assert summary is not None
    assert summary.cap == D("3600.00")
    assert summary.earned == {"a": D("1800.00"), "b": D("1800.00")}
    assert summary.total == D("3600.00")
    assert summary.payable == D("3600.00")


def test_a_figure_just_under_when_earns_nothing() -> None:
    contract = contract_with(TWO)
    # 8999/10000 = 89.99% < 90%; 459/500 = 91.8% < 92%: float rounding never helps
    summary = earn_incentives(
        contract, [month("a", "met", 8999, 10000), month("b", "met", 459, 500)], credits()
    )
    assert summary is not None
    assert summary.earned == {"a": D("0.00"), "b": D("0.00")}
    assert summary.total == D("0.00")


def test_a_breached_objective_never_earns_even_with_a_high_month_figure() -> None:
    # a day-window objective breached on its days while the month figure is 95%
    contract = contract_with(TWO)
    summary = earn_incentives(contract, [month("a", "breached", 950, 1000)], credits())
    assert summary is not None
    assert summary.earned == {"a": D("0.00")}


def test_an_objective_outside_the_earn_block_earns_nothing() -> None:
    contract = contract_with(TWO)
    summary = earn_incentives(contract, [month("c", "met", 1000, 1000)], credits())
    assert summary is not None
    assert summary.earned == {}
    assert summary.total == D("0.00")


def test_rounded_shares_over_the_cap_are_scaled_down_to_it() -> None:
    earn = {"a": (">= 90%", "33.3%"), "b": (">= 90%", "33.3%"), "c": (">= 90%", "33.4%")}
    contract = contract_with(earn, fee="1234.56", cap="2.5%")
    # cap 1234.56 x 2.5% = 30.864 -> 30.86; parts 10.27638 -> 10.28, 10.28, 10.30724 -> 10.31
    # = 30.87 > 30.86: proportional shares 10.27667, 10.27667, 10.30666 -> floors 10.27,
    # 10.27, 10.30 (30.84); the two missing cents go to the largest remainders, a and b.
    results = [month(key, "met", 95, 100) for key in ("a", "b", "c")]
    summary = earn_incentives(contract, results, credits())
    assert summary is not None
    assert summary.uncapped == D("30.87")
    assert summary.earned == {"a": D("10.28"), "b": D("10.28"), "c": D("10.30")}
    assert summary.total == D("30.86")


def test_offset_credits_reduces_the_credits_never_below_zero() -> None:
    contract = contract_with(TWO, offset=True)
    results = [month("a", "met", 9100, 10000), month("b", "met", 100, 500)]
    big = earn_incentives(contract, results, credits("4800.00"))
    assert big is not None
    # incentives 1800.00 cancel 1800.00 of the 4800.00 credits; nothing is paid on top
    assert (big.total, big.credits_offset, big.payable) == (D("1800.00"), D("1800.00"), D("0"))
    assert net_position(credits("4800.00"), big) == D("-3000.00")
    small = earn_incentives(contract, results, credits("1000.00"))
    assert small is not None
    assert small.credits_offset == D("1000.00")
    assert net_position(credits("1000.00"), small) == D("0.00")


def test_without_offset_incentives_are_paid_beside_the_credits() -> None:
    contract = contract_with(TWO)
    summary = earn_incentives(contract, [month("a", "met", 9100, 10000)], credits("4800.00"))
    assert summary is not None
    assert (summary.credits_offset, summary.payable) == (D("0.00"), D("1800.00"))
    assert net_position(credits("4800.00"), summary) == D("-3000.00")


def test_a_contract_without_incentives_has_no_summary() -> None:
    contract = parse_contract_text(BASE)
    assert earn_incentives(contract, [], credits()) is None


# ------------------------------------------------------------------ properties

STATUSES = st.sampled_from(["met", "breached", "not_determined", "excused"])
SHARES = st.lists(st.integers(0, 100), min_size=3, max_size=3).filter(lambda s: sum(s) <= 100)


def property_contract(shares: list[int], fee_cents: int, cap_tenths: int) -> Contract:
    earn = {key: (">= 85%", f"{share}%") for key, share in zip("abc", shares, strict=True)}
    return contract_with(earn, fee=f"{fee_cents / 100:.2f}", cap=f"{cap_tenths / 10}%")


@settings(max_examples=60, deadline=None)
@given(
    shares=SHARES,
    fee_cents=st.integers(0, 10**9),
    cap_tenths=st.integers(0, 1000),
    figures=st.lists(st.tuples(STATUSES, st.integers(0, 1000)), min_size=3, max_size=3),
)
def test_incentives_never_exceed_the_cap(
    shares: list[int], fee_cents: int, cap_tenths: int, figures: list[tuple[str, int]]
) -> None:
    contract = property_contract(shares, fee_cents, cap_tenths)
    results = [
        month(key, status, answered, 1000)
        for key, (status, answered) in zip("abc", figures, strict=True)
    ]
    summary = earn_incentives(contract, results, credits())
    assert summary is not None
    assert summary.total <= summary.cap
    assert sum(summary.earned.values(), D("0")) == summary.total
    assert all(amount >= 0 for amount in summary.earned.values())


@settings(max_examples=60, deadline=None)
@given(
    shares=SHARES,
    worse=st.lists(st.integers(0, 1000), min_size=3, max_size=3),
    gains=st.lists(st.integers(0, 1000), min_size=3, max_size=3),
)
def test_a_better_month_never_earns_less(
    shares: list[int], worse: list[int], gains: list[int]
) -> None:
    contract = property_contract(shares, 12000000, 30)
    better = [min(1000, low + gain) for low, gain in zip(worse, gains, strict=True)]

    def total(answered: list[int]) -> Any:
        results = [
            month(key, "met", count, 1000) for key, count in zip("abc", answered, strict=True)
        ]
        summary = earn_incentives(contract, results, credits())
        assert summary is not None
        return summary

    low, high = total(worse), total(better)
    assert high.total >= low.total
    assert all(high.earned[key] >= low.earned[key] for key in "abc")


@settings(max_examples=60, deadline=None)
@given(shares=SHARES, answered=st.lists(st.integers(0, 1000), min_size=3, max_size=3))
def test_a_breached_objective_never_earns(shares: list[int], answered: list[int]) -> None:
    contract = property_contract(shares, 12000000, 30)
    results = [
        month(key, "breached", count, 1000) for key, count in zip("abc", answered, strict=True)
    ]
    summary = earn_incentives(contract, results, credits())
    assert summary is not None
    assert summary.total == D("0.00")


# ------------------------------------------------------------------ evaluation and storage


def test_the_evaluation_carries_incentives_through_json_and_storage(engine: Any) -> None:
    from datetime import UTC, date, datetime

    from slaengine.adapters.storage.evaluation_repo import latest_evaluation, store_final
    from slaengine.domain.evaluation.evaluate import evaluate
    from slaengine.domain.evaluation.kpis import Counts
    from slaengine.services.evaluation import evaluation_to_json

    contract = contract_with(TWO)
    day = date(2026, 10, 5)
    daily = {
        "a": {day: Counts(offered=1000, answered_within=910)},  # 91 % >= 90 %: 1800.00
        "b": {day: Counts(offered=500, answered_within=455)},  # 91 % < 92 %: nothing
        "c": {day: Counts(offered=100, answered_within=70)},  # 70 %: breached, no bonus block
    }
    evaluation = evaluate(contract, "2026-10", daily, as_of=datetime(2026, 11, 2, tzinfo=UTC))
    document = evaluation_to_json(evaluation)
    assert document["incentives"] == {
        "currency": "EUR",
        "cap": "3600.00",
        "total": "1800.00",
        "earned": {"a": "1800.00", "b": "0.00"},
        "uncapped": "1800.00",
        "offset_credits": False,
        "credits_offset": "0.00",
        "payable": "1800.00",
        # c breached: no allocation in this contract, so no credits: net +1800.00
        "net_position": "1800.00",
    }
    stored, written = store_final(engine, evaluation, "fingerprint", {}, now=datetime.now(UTC))
    assert written
    reloaded = latest_evaluation(engine, contract.id, "2026-10")
    assert reloaded is not None
    assert reloaded.incentives == stored.incentives == evaluation.incentives
    assert evaluation_to_json(reloaded)["incentives"] == document["incentives"]


def test_a_contract_without_incentives_prints_zero_incentives() -> None:
    from datetime import UTC, datetime

    from slaengine.domain.evaluation.evaluate import evaluate
    from slaengine.services.evaluation import evaluation_to_json

    evaluation = evaluate(parse_contract_text(BASE), "2026-10", {},
                          as_of=datetime(2026, 11, 2, tzinfo=UTC))  # fmt: skip
    assert evaluation.incentives is None
    incentives = evaluation_to_json(evaluation)["incentives"]
    assert (incentives["cap"], incentives["total"], incentives["earned"]) == ("0.00", "0.00", {})
