"""Service credits: allocation, the cap, earn-back and chronic failure, worked by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.results import ChronicFailureFlag, CreditSummary, Status
from slaengine.domain.money.credits import (
    CreditAllocation,
    allocate_credits,
    chronic_failures,
    credit_summary,
    earned_back,
    objective_credit,
    shift_period,
)
from tests.conftest import CONTRACTS


def D(text: str) -> Decimal:
    return Decimal(text)


@pytest.fixture(scope="module")
def acme() -> Contract:
    document = YAML(typ="safe").load((CONTRACTS / "acme-l1.yaml").read_text(encoding="utf-8"))
    return Contract.model_validate(document)


def contract_with(
    allocation: dict[str, str] | None,
    *,
    fee: str = "1000.00",
    at_risk: str = "10%",
    levels: dict[str, str] | None = None,
    earn_back_months: int | None = None,
    chronic: tuple[int, int] | None = None,
) -> Contract:
    """A small contract: one nps objective per id named in `allocation` (or `levels`)."""
    ids = list(levels or allocation or {"a": "0%"})
    document: dict[str, Any] = {
        "apiVersion": "slaengine/v1",
        "kind": "Contract",
        "id": "test",
        "version": 1,
        "title": "Test",
        "provider": {"id": "p", "name": "P", "sourcing": "outsourced"},
        "activity": "l1",
        "effective": {"from": "2026-01-01"},
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "objectives": [
            {
                "id": objective_id,
                "kpi": "nps",
                "target": ">= 30",
                "level": (levels or {}).get(objective_id, "key"),
            }
            for objective_id in ids
        ],
    }
    if allocation is not None:
        document["credits"] = {"monthly_fee": fee, "at_risk": at_risk, "allocation": allocation}
        if earn_back_months:
            document["credits"]["earn_back"] = {"months": earn_back_months}
    if chronic:
        document["chronic_failure"] = {"breaches": chronic[0], "within_months": chronic[1]}
    return Contract.model_validate(document)


# allocation and cap --------------------------------------------------------------------


def test_an_objective_credit_is_its_share_of_the_at_risk_amount(acme: Contract) -> None:
    assert acme.credits is not None
    assert acme.credits.at_risk_amount == D("12000.00")
    assert objective_credit(acme.credits, "phone-sl") == D("4800.00")
    assert objective_credit(acme.credits, "phone-abandon") == D("2400.00")
    assert objective_credit(acme.credits, "csat") == D("1200.00")
    assert objective_credit(acme.credits, "nps") == D("0.00")


def test_an_objective_credit_is_rounded_half_up_to_cents() -> None:
    contract = contract_with({"a": "12.5%"}, fee="1000.35", at_risk="10%")
    # at risk 100.035 -> 100.04; 12.5% of it = 12.505 -> 12.51 (half-up, not banker's 12.50)
    assert contract.credits is not None
    assert objective_credit(contract.credits, "a") == D("12.51")


def test_only_breached_objectives_owe_credits(acme: Contract) -> None:
    statuses: dict[str, Status] = {
        "phone-sl": "breached",
        "chat-sl": "breached",
        "email-24h": "not_determined",
        "fcr": "excused",
        "csat": "met",
    }
    allocation = allocate_credits(acme, statuses)
    assert allocation.per_objective == {
        "phone-sl": D("4800.00"),
        "phone-abandon": D("0.00"),
        "chat-sl": D("2400.00"),
        "email-24h": D("0.00"),
        "phone-asa": D("0.00"),
        "fcr": D("0.00"),
        "csat": D("0.00"),
        "nps": D("0.00"),
    }
    assert (allocation.uncapped, allocation.total, allocation.capped) == (
        D("7200.00"),
        D("7200.00"),
        False,
    )
    assert allocation.at_risk == D("12000.00")


def test_a_breached_objective_without_allocation_owes_nothing(acme: Contract) -> None:
    assert allocate_credits(acme, {"nps": "breached"}).total == D("0.00")


def test_an_all_breached_month_is_capped_at_the_at_risk_amount(acme: Contract) -> None:
    statuses: dict[str, Status] = {objective.id: "breached" for objective in acme.objectives}
    allocation = allocate_credits(acme, statuses)
    # uncapped 4800 x 2 + 2400 x 2 + 1200 x 3 = 18000; every part scaled by 12000/18000
    assert allocation.uncapped == D("18000.00")
    assert allocation.total == D("12000.00")
    assert allocation.capped
    assert allocation.per_objective == {
        "phone-sl": D("3200.00"),
        "phone-abandon": D("1600.00"),
        "chat-sl": D("1600.00"),
        "email-24h": D("3200.00"),
        "phone-asa": D("800.00"),
        "fcr": D("800.00"),
        "csat": D("800.00"),
        "nps": D("0.00"),
    }
    assert sum(allocation.per_objective.values()) == D("12000.00")


def test_the_cent_left_by_rounding_goes_to_the_part_that_lost_the_most() -> None:
    contract = contract_with({"a": "30%", "b": "45%", "c": "40%"})
    allocation = allocate_credits(contract, {"a": "breached", "b": "breached", "c": "breached"})
    # 30 + 45 + 40 = 115 capped at 100: exact shares 26.0869.., 39.1304.., 34.7826..
    assert allocation.per_objective == {"a": D("26.09"), "b": D("39.13"), "c": D("34.78")}
    assert allocation.total == D("100.00")


def test_equal_losses_give_the_cent_to_the_smallest_objective_id() -> None:
    contract = contract_with({"c": "50%", "b": "50%", "a": "50%"})
    allocation = allocate_credits(contract, {"a": "breached", "b": "breached", "c": "breached"})
    assert allocation.per_objective == {"a": D("33.34"), "b": D("33.33"), "c": D("33.33")}


def test_a_contract_without_credits_owes_nothing() -> None:
    contract = contract_with(None, levels={"a": "critical"})
    allocation = allocate_credits(contract, {"a": "breached"})
    assert allocation == CreditAllocation({"a": D("0.00")})
    assert (allocation.total, allocation.at_risk, allocation.capped) == (
        D("0.00"),
        D("0.00"),
        False,
    )


def test_a_status_for_an_unknown_objective_is_refused(acme: Contract) -> None:
    with pytest.raises(ValueError, match="contract acme-l1 has no objective phone-xx"):
        allocate_credits(acme, {"phone-xx": "breached"})


def test_the_credit_summary_carries_currency_cap_and_earn_back(acme: Contract) -> None:
    statuses: dict[str, Status] = {objective.id: "breached" for objective in acme.objectives}
    summary = credit_summary(acme, allocate_credits(acme, statuses), {"fcr": D("1200.00")})
    assert summary == CreditSummary(
        currency="EUR",
        at_risk=D("12000.00"),
        uncapped=D("18000.00"),
        total=D("12000.00"),
        earned_back=D("1200.00"),
        capped=True,
    )
    assert summary.net == D("10800.00")


# earn-back -----------------------------------------------------------------------------

History = dict[str, dict[str, tuple[Status, Decimal]]]


def phone_sl_history(*statuses: Status) -> History:
    """phone-sl breached in January (4800.00 owed), then the given statuses from February."""
    history: History = {"2026-01": {"phone-sl": ("breached", D("4800.00"))}}
    for month, status in enumerate(statuses, start=2):
        history[f"2026-{month:02d}"] = {"phone-sl": (status, D("0.00"))}
    return history


def test_a_credit_is_earned_back_after_three_met_months(acme: Contract) -> None:
    history = phone_sl_history("met", "met", "met")
    assert earned_back(acme, "2026-04", history) == {"phone-sl": D("4800.00")}


def test_a_credit_is_shown_earned_back_only_in_the_month_it_is_earned(acme: Contract) -> None:
    history = phone_sl_history("met", "met", "met", "met")
    assert earned_back(acme, "2026-02", history) == {}
    assert earned_back(acme, "2026-03", history) == {}
    assert earned_back(acme, "2026-05", history) == {}


def test_a_miss_in_march_means_the_january_credit_is_never_earned_back(acme: Contract) -> None:
    history = phone_sl_history("met", "breached", "met", "met", "met")
    assert [earned_back(acme, f"2026-{month:02d}", history) for month in range(2, 7)] == [{}] * 5


@pytest.mark.parametrize("status", ["not_determined", "excused"])
def test_an_undetermined_or_excused_month_does_not_earn_back(
    acme: Contract, status: Status
) -> None:
    assert earned_back(acme, "2026-04", phone_sl_history("met", status, "met")) == {}


def test_a_month_missing_from_history_does_not_earn_back(acme: Contract) -> None:
    history = phone_sl_history("met", "met", "met")
    del history["2026-03"]
    assert earned_back(acme, "2026-04", history) == {}


def test_earn_back_returns_the_capped_credit_actually_owed(acme: Contract) -> None:
    history: History = {
        "2025-11": {"phone-sl": ("breached", D("3200.00")), "fcr": ("breached", D("800.00"))},
        "2025-12": {"phone-sl": ("met", D("0")), "fcr": ("met", D("0"))},
        "2026-01": {"phone-sl": ("met", D("0")), "fcr": ("breached", D("1200.00"))},
        "2026-02": {"phone-sl": ("met", D("0")), "fcr": ("met", D("0"))},
    }
    assert earned_back(acme, "2026-02", history) == {"phone-sl": D("3200.00")}


def test_contracts_without_earn_back_never_return_credits() -> None:
    contract = contract_with({"a": "10%"})
    history: History = {
        "2026-01": {"a": ("breached", D("10.00"))},
        "2026-02": {"a": ("met", D("0"))},
    }
    assert earned_back(contract, "2026-02", history) == {}


def test_a_one_month_earn_back_returns_the_credit_the_next_month() -> None:
    contract = contract_with({"a": "10%"}, earn_back_months=1)
    history: History = {
        "2026-01": {"a": ("breached", D("10.00"))},
        "2026-02": {"a": ("met", D("0"))},
    }
    assert earned_back(contract, "2026-02", history) == {"a": D("10.00")}


def test_a_malformed_period_is_refused(acme: Contract) -> None:
    with pytest.raises(ValueError, match="expected a period such as 2026-03"):
        earned_back(acme, "2026-13", {})
    with pytest.raises(ValueError, match="expected a period such as 2026-03"):
        chronic_failures(acme, "April", {})


def test_periods_shift_across_years() -> None:
    assert shift_period("2026-01", -3) == "2025-10"
    assert shift_period("2025-11", 2) == "2026-01"


# chronic failure -----------------------------------------------------------------------


def breaches_of(objective_id: str, *months: str) -> dict[str, dict[str, Status]]:
    return {month: {objective_id: "breached"} for month in months}


def test_three_breaches_in_six_months_flag_a_chronic_failure(acme: Contract) -> None:
    history = breaches_of("phone-sl", "2026-01", "2026-03", "2026-06")
    assert chronic_failures(acme, "2026-05", history) == ()
    assert chronic_failures(acme, "2026-06", history) == (
        ChronicFailureFlag("phone-sl", ("2026-01", "2026-03", "2026-06"), 3, 6),
    )


def test_breaches_seven_months_apart_do_not_share_a_window(acme: Contract) -> None:
    history = breaches_of("email-24h", "2026-01", "2026-04", "2026-07")
    assert chronic_failures(acme, "2026-07", history) == ()
    history["2026-08"] = {"email-24h": "breached"}
    # the window slides: March-August holds April, July and August; January is out of it
    assert chronic_failures(acme, "2026-08", history) == (
        ChronicFailureFlag("email-24h", ("2026-04", "2026-07", "2026-08"), 3, 6),
    )


def test_a_window_may_span_the_turn_of_the_year(acme: Contract) -> None:
    history = breaches_of("phone-sl", "2025-11", "2026-01", "2026-04")
    assert chronic_failures(acme, "2026-04", history)[0].breached_periods == (
        "2025-11",
        "2026-01",
        "2026-04",
    )


def test_months_after_the_period_are_ignored(acme: Contract) -> None:
    history = breaches_of("phone-sl", "2026-01", "2026-03", "2026-06")
    assert chronic_failures(acme, "2026-04", history) == ()


def test_key_objectives_never_flag_a_chronic_failure(acme: Contract) -> None:
    history = breaches_of("chat-sl", "2026-01", "2026-02", "2026-03")
    assert chronic_failures(acme, "2026-03", history) == ()


def test_contracts_without_a_chronic_failure_clause_never_flag() -> None:
    contract = contract_with({"a": "10%"}, levels={"a": "critical"})
    assert (
        chronic_failures(contract, "2026-03", breaches_of("a", "2026-01", "2026-02", "2026-03"))
        == ()
    )


def test_every_critical_objective_is_flagged_on_its_own(acme: Contract) -> None:
    history: dict[str, dict[str, Status]] = {
        "2026-01": {"phone-sl": "breached", "email-24h": "breached"},
        "2026-02": {"phone-sl": "breached", "email-24h": "met"},
        "2026-03": {"phone-sl": "breached", "email-24h": "breached"},
    }
    assert chronic_failures(acme, "2026-03", history) == (
        ChronicFailureFlag("phone-sl", ("2026-01", "2026-02", "2026-03"), 3, 6),
    )


# properties ----------------------------------------------------------------------------

IDS = ("a", "b", "c", "d", "e")


@st.composite
def credit_contracts(draw: st.DrawFn) -> Contract:
    allocation = {
        objective_id: f"{draw(st.integers(min_value=0, max_value=2000)) / 10}%"
        for objective_id in IDS
        if draw(st.booleans())
    }
    cents = draw(st.integers(min_value=0, max_value=10**9))
    fee = f"{cents // 100}.{cents % 100:02d}"
    at_risk = f"{draw(st.integers(min_value=0, max_value=300)) / 10}%"
    return contract_with(allocation, fee=fee, at_risk=at_risk, levels=dict.fromkeys(IDS, "key"))


statuses_strategy = st.dictionaries(
    st.sampled_from(IDS), st.sampled_from(["met", "breached", "not_determined", "excused"])
)


@settings(max_examples=200)
@given(credit_contracts(), statuses_strategy)
def test_credits_are_never_negative_nor_above_the_cap_and_parts_add_up(
    contract: Contract, statuses: dict[str, Status]
) -> None:
    allocation = allocate_credits(contract, statuses)
    assert all(part >= 0 for part in allocation.per_objective.values())
    assert allocation.total <= allocation.at_risk
    assert sum(allocation.per_objective.values()) == allocation.total
    assert allocation.total == min(allocation.uncapped, allocation.at_risk)
    assert all(part.as_tuple().exponent == -2 for part in allocation.per_objective.values())


@settings(max_examples=200)
@given(credit_contracts(), statuses_strategy)
def test_capped_parts_stay_within_a_cent_of_their_exact_share(
    contract: Contract, statuses: dict[str, Status]
) -> None:
    allocation = allocate_credits(contract, statuses)
    assert contract.credits is not None
    for objective_id, part in allocation.per_objective.items():
        owed = objective_credit(contract.credits, objective_id)
        if statuses.get(objective_id) != "breached":
            assert part == 0
        elif not allocation.capped:
            assert part == owed
        else:
            exact = Fraction(owed) * Fraction(allocation.at_risk) / Fraction(allocation.uncapped)
            assert abs(Fraction(part) - exact) < Fraction(1, 100)


@settings(max_examples=200)
@given(credit_contracts(), statuses_strategy, st.sets(st.sampled_from(IDS)))
def test_a_worse_month_never_yields_a_smaller_credit(
    contract: Contract, statuses: dict[str, Status], worse: set[str]
) -> None:
    worse_statuses: dict[str, Status] = {**statuses, **dict.fromkeys(worse, "breached")}
    assert (
        allocate_credits(contract, worse_statuses).total
        >= allocate_credits(contract, statuses).total
    )


@settings(max_examples=100)
@given(credit_contracts(), statuses_strategy, st.randoms(use_true_random=False))
def test_input_order_never_changes_a_cent(
    contract: Contract, statuses: dict[str, Status], random: Any
) -> None:
    items = list(statuses.items())
    random.shuffle(items)
    objectives = list(contract.objectives)
    random.shuffle(objectives)
    reordered = contract.model_copy(update={"objectives": tuple(objectives)})
    assert allocate_credits(reordered, dict(items)) == allocate_credits(contract, statuses)
