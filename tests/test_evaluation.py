"""Evaluating a month: windows in local time, statuses, exclusions, early warning, credits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slaengine.domain.contract.model import Contract
from slaengine.domain.contract.periods import window_bounds
from slaengine.domain.evaluation.evaluate import evaluate
from slaengine.domain.evaluation.exclusions import volume_band_days
from slaengine.domain.evaluation.kpis import ContactRecord, Counts, tally_contacts
from slaengine.domain.evaluation.results import Evaluation, ExcludedDay
from slaengine.errors import EvaluationError
from slaengine.services.evaluation import evaluation_to_json

CLOSE = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # after the end of 2026-10 in Paris


def contract(*objectives: dict[str, Any], **extra: Any) -> Contract:
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
        "objectives": list(objectives),
    }
    return Contract.model_validate(document | extra)


def sl(**extra: Any) -> dict[str, Any]:
    return {
        "id": "sl",
        "channel": "phone",
        "kpi": "service_level",
        "threshold": "20s",
        "target": ">= 80%",
        "level": "critical",
    } | extra


def day_counts(offered: int, within: int) -> Counts:
    return Counts(offered=offered, answered=offered, answered_within=within)


def test_month_figures_are_summed_counts_not_averaged_percentages() -> None:
    terms = contract(sl())
    daily = {"sl": {date(2026, 10, 1): day_counts(10, 10), date(2026, 10, 2): day_counts(90, 60)}}
    result = evaluate(terms, "2026-10", daily, as_of=CLOSE).objectives[0]
    # the mean of 100% and 66.7% would be 83.3% (met); the month is 70/100 (breached)
    assert (result.status, result.numerator, result.denominator) == ("breached", 70, 100)
    assert result.value == 0.7


def test_a_figure_equal_to_the_target_meets_it() -> None:
    terms = contract(sl())
    daily = {"sl": {date(2026, 10, 5): day_counts(100, 80)}}
    assert evaluate(terms, "2026-10", daily, as_of=CLOSE).objectives[0].status == "met"


def test_volume_under_min_volume_is_not_determined_never_met_or_breached() -> None:
    terms = contract(sl(min_volume=100))
    daily = {"sl": {date(2026, 10, 5): day_counts(99, 0)}}
    result = evaluate(terms, "2026-10", daily, as_of=CLOSE).objectives[0]
    assert result.status == "not_determined"
    assert result.reason == "volume 99 under min_volume 100"


def test_no_contact_at_all_is_not_determined() -> None:
    result = evaluate(contract(sl()), "2026-10", {}, as_of=CLOSE).objectives[0]
    assert (result.status, result.reason, result.value) == (
        "not_determined",
        "no contacts in scope",
        None,
    )


def test_every_contact_excluded_is_excused() -> None:
    daily = {"sl": {date(2026, 10, 5): Counts(excluded=40)}}
    result = evaluate(contract(sl()), "2026-10", daily, as_of=CLOSE).objectives[0]
    assert result.status == "excused"
    assert result.excluded_contacts == 40


def daily_windows(bad_days: int) -> dict[str, dict[date, Counts]]:
    days = {date(2026, 10, day): day_counts(10, 10) for day in range(1, 32)}
    for day in range(1, bad_days + 1):
        days[date(2026, 10, day)] = day_counts(10, 5)
    return {"sl": days}


@pytest.mark.parametrize(("bad_days", "status"), [(0, "met"), (2, "met"), (3, "breached")])
def test_a_day_objective_is_breached_only_when_more_windows_miss_than_allowed(
    bad_days: int, status: str
) -> None:
    terms = contract(sl(window="day", allowed_misses=2))
    result = evaluate(terms, "2026-10", daily_windows(bad_days), as_of=CLOSE).objectives[0]
    assert (result.status, result.windows_breached, len(result.windows)) == (status, bad_days, 31)


def test_allowed_misses_default_to_none() -> None:
    terms = contract(sl(window="day"))
    assert evaluate(terms, "2026-10", daily_windows(1), as_of=CLOSE).objectives[0].status == (
        "breached"
    )


def test_week_windows_are_iso_weeks_clipped_to_the_month() -> None:
    # October 2026 starts on a Thursday and ends on a Saturday
    assert window_bounds("week", date(2026, 10, 1), date(2026, 11, 1)) == [
        (date(2026, 10, 1), date(2026, 10, 5)),
        (date(2026, 10, 5), date(2026, 10, 12)),
        (date(2026, 10, 12), date(2026, 10, 19)),
        (date(2026, 10, 19), date(2026, 10, 26)),
        (date(2026, 10, 26), date(2026, 11, 1)),
    ]


def calls_at(*instants: datetime) -> list[ContactRecord]:
    return [
        ContactRecord(f"c{n}", "phone", instant, answered_at=instant + timedelta(seconds=10))
        for n, instant in enumerate(instants)
    ]


@pytest.mark.parametrize(
    ("period", "day", "first_utc", "hours"),
    [
        ("2026-03", date(2026, 3, 29), datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 23),
        ("2026-10", date(2026, 10, 25), datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 25),
    ],
)
def test_day_windows_follow_local_days_across_dst_changes(
    period: str, day: date, first_utc: datetime, hours: int
) -> None:
    terms = contract(sl(window="day"))
    goal = terms.objectives[0]
    inside = [first_utc, first_utc + timedelta(hours=hours, microseconds=-1)]
    outside = [first_utc - timedelta(microseconds=1), first_utc + timedelta(hours=hours)]
    daily = tally_contacts(goal, calls_at(*inside, *outside), terms.zone, {}, as_of=CLOSE)
    assert daily[day].offered == 2
    result = evaluate(terms, period, {"sl": daily}, as_of=datetime(2026, 12, 1, tzinfo=UTC))
    window = next(window for window in result.objectives[0].windows if window.start == day)
    assert (window.volume, window.end) == (2, day + timedelta(days=1))


def test_the_volume_band_excludes_days_above_the_forecast_by_more_than_the_band() -> None:
    terms = contract(sl(), exclusions={"volume_band": {"over_forecast": "10%"}})
    days = volume_band_days(
        terms,
        {
            (date(2026, 10, 5), "phone"): 110,
            (date(2026, 10, 6), "phone"): 111,
            (date(2026, 10, 6), "email"): 999,
        },
        {
            (date(2026, 10, 5), "phone"): 100,
            (date(2026, 10, 6), "phone"): 100,
            (date(2026, 10, 6), "email"): 10,
        },
    )
    assert [(day.day, day.channel, day.contacts, day.forecast) for day in days] == [
        (date(2026, 10, 6), "phone", 111, 100)
    ]
    assert "exceed the forecast 100 by more than 10%" in days[0].reason


def test_events_and_excluded_days_remove_contacts_and_say_how_many() -> None:
    event = {
        "id": "outage",
        "from": "2026-10-05T10:00:00+02:00",
        "to": "2026-10-05T12:00:00+02:00",
        "channels": ["phone"],
        "reason": "carrier outage",
        "approved_by": "j.martin",
    }
    terms = contract(sl(), exclusions={"events": [event]})
    goal = terms.objectives[0]
    records = calls_at(
        datetime(2026, 10, 5, 7, 59, 59, tzinfo=UTC),  # 09:59:59 local: kept
        datetime(2026, 10, 5, 8, 0, tzinfo=UTC),  # event start: excluded
        datetime(2026, 10, 5, 9, 59, 59, tzinfo=UTC),  # excluded
        datetime(2026, 10, 5, 10, 0, tzinfo=UTC),  # event end: kept
        datetime(2026, 10, 6, 10, 0, tzinfo=UTC),  # excluded day
    )
    band = (ExcludedDay(date(2026, 10, 6), "phone", 500, 100, "volume band"),)
    events = terms.exclusions.events if terms.exclusions else ()
    daily = tally_contacts(
        goal, records, terms.zone, {}, as_of=CLOSE, events=events, excluded_days=band
    )
    assert daily[date(2026, 10, 5)].offered == 2
    assert daily[date(2026, 10, 5)].excluded == 2
    assert daily[date(2026, 10, 6)] == Counts(excluded=1)
    result = evaluate(terms, "2026-10", {"sl": daily}, as_of=CLOSE, excluded_days=band)
    assert result.excluded_days == band
    assert result.objectives[0].excluded_contacts == 3


def test_month_to_date_flags_a_failing_objective_at_risk_with_what_recovery_needs() -> None:
    terms = contract(sl())
    as_of = datetime(2026, 10, 16, 22, 0, tzinfo=UTC)  # Oct 17 00:00 Paris: 16 of 31 days
    daily = {"sl": {date(2026, 10, 1): day_counts(160, 120)}}
    result = evaluate(terms, "2026-10", daily, as_of=as_of)
    objective = result.objectives[0]
    assert result.month_to_date
    assert objective.at_risk
    # 120/160 so far; ~150 expected in the 15 remaining days; 80% of 310 = 248, needs 128
    assert objective.at_risk_reason == (
        "misses its target: 75.0% so far against >= 80%;"
        " recovering needs 85.3% of ~150 remaining contacts"
    )


def test_month_to_date_says_when_recovery_is_impossible() -> None:
    terms = contract(sl())
    as_of = datetime(2026, 10, 30, 23, 0, tzinfo=UTC)  # Oct 31 00:00 Paris: 30 of 31 days
    daily = {"sl": {date(2026, 10, 1): day_counts(300, 150)}}
    reason = evaluate(terms, "2026-10", daily, as_of=as_of).objectives[0].at_risk_reason
    assert reason is not None and "cannot recover even if all ~10 remaining" in reason


def test_a_met_objective_is_not_at_risk_and_a_closed_month_flags_nothing() -> None:
    terms = contract(sl())
    daily = {"sl": {date(2026, 10, 1): day_counts(100, 90)}}
    as_of = datetime(2026, 10, 10, tzinfo=UTC)
    assert not evaluate(terms, "2026-10", daily, as_of=as_of).objectives[0].at_risk
    failing = {"sl": {date(2026, 10, 1): day_counts(100, 10)}}
    assert not evaluate(terms, "2026-10", failing, as_of=CLOSE).objectives[0].at_risk


def test_month_to_date_day_windows_stop_at_as_of() -> None:
    terms = contract(sl(window="day", allowed_misses=1))
    as_of = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)
    daily = {"sl": {date(2026, 10, 1): day_counts(10, 1), date(2026, 10, 2): day_counts(10, 1)}}
    result = evaluate(terms, "2026-10", daily, as_of=as_of).objectives[0]
    assert [window.start.day for window in result.windows] == [1, 2, 3]
    assert result.at_risk_reason == "2 day windows breached so far, 1 allowed"


def test_an_as_of_before_the_period_is_refused() -> None:
    with pytest.raises(EvaluationError, match="nothing to evaluate yet"):
        evaluate(contract(sl()), "2026-10", {}, as_of=datetime(2026, 9, 30, 21, 0, tzinfo=UTC))


def test_a_bad_period_is_refused() -> None:
    with pytest.raises(EvaluationError, match="YYYY-MM"):
        evaluate(contract(sl()), "2026-13", {}, as_of=CLOSE)


CREDITS = {
    "monthly_fee": "100000.00",
    "at_risk": "10%",
    "pool": "150%",
    "allocation": {"sl": "60%", "asa": "60%"},
    "earn_back": {"months": 3},
}


def credited_contract() -> Contract:
    asa = {
        "id": "asa",
        "channel": "phone",
        "kpi": "average_speed_of_answer",
        "target": "<= 30s",
        "level": "key",
    }
    return contract(sl(), asa, credits=CREDITS)


def month(
    terms: Contract, period: str, sl_ok: bool, asa_ok: bool, history: list[Evaluation]
) -> Evaluation:
    first = date.fromisoformat(f"{period}-01")
    wait = 20 if asa_ok else 40
    counts = Counts(
        offered=100,
        answered=100,
        answered_within=90 if sl_ok else 50,
        wait_us_answered=100 * wait * 1_000_000,
    )
    as_of = datetime.combine(first + timedelta(days=40), datetime.min.time(), UTC)
    return evaluate(
        terms, period, {"sl": {first: counts}, "asa": {first: counts}}, as_of=as_of, history=history
    )


def test_both_breached_is_capped_at_the_at_risk_amount() -> None:
    result = month(credited_contract(), "2026-01", False, False, [])
    assert result.credits.uncapped == Decimal("12000.00")
    assert (result.credits.total, result.credits.capped) == (Decimal("10000.00"), True)
    assert [item.credit for item in result.objectives] == [Decimal("5000.00"), Decimal("5000.00")]


def test_a_credit_is_earned_back_after_three_met_months_in_the_fourth() -> None:
    terms = credited_contract()
    history: list[Evaluation] = []
    for period, sl_ok in (("2026-01", False), ("2026-02", True), ("2026-03", True)):
        history.append(month(terms, period, sl_ok, True, history))
    assert history[0].objectives[0].credit == Decimal("6000.00")
    april = month(terms, "2026-04", True, True, history)
    assert april.objectives[0].earned_back == Decimal("6000.00")
    assert april.credits.earned_back == Decimal("6000.00")
    assert april.credits.net == Decimal("-6000.00")
    # a breach in one of the three following months loses it
    broken = [history[0], month(terms, "2026-02", False, True, history[:1]), history[2]]
    assert month(terms, "2026-04", True, True, broken).credits.earned_back == Decimal("0.00")


def test_a_critical_objective_breached_three_times_in_six_months_is_a_chronic_failure() -> None:
    terms = Contract.model_validate(
        credited_contract().to_document() | {"chronic_failure": {"breaches": 3, "within_months": 6}}
    )
    history: list[Evaluation] = []
    for period, ok in (("2026-01", False), ("2026-02", True), ("2026-03", False)):
        history.append(month(terms, period, ok, True, history))
    assert history[-1].chronic_failures == ()
    april = month(terms, "2026-04", False, True, history)
    assert [(flag.objective_id, flag.breached_periods) for flag in april.chronic_failures] == [
        ("sl", ("2026-01", "2026-03", "2026-04"))
    ]


def test_provider_reported_figures_beyond_rounding_are_flagged() -> None:
    terms = contract(sl())
    daily = {"sl": {date(2026, 10, 5): day_counts(1000, 812)}}
    close = evaluate(terms, "2026-10", daily, as_of=CLOSE, provider_reported={"sl": 0.8124})
    far = evaluate(terms, "2026-10", daily, as_of=CLOSE, provider_reported={"sl": 0.85})
    assert close.objectives[0].provider_reported_value == 0.8124
    assert not close.objectives[0].provider_differs
    assert far.objectives[0].provider_differs


def test_the_json_has_spec_section_4_shape() -> None:
    terms = contract(sl(window="week"), credits=CREDITS | {"allocation": {"sl": "40%"}})
    daily = {"sl": {date(2026, 10, 1): day_counts(10000, 8123)}}
    document = evaluation_to_json(evaluate(terms, "2026-10", daily, as_of=CLOSE))
    assert {key: document[key] for key in ("contract", "contract_version", "period")} == {
        "contract": "test",
        "contract_version": 1,
        "period": "2026-10",
    }
    objective = document["objectives"][0]
    assert {
        key: objective[key]
        for key in ("id", "kpi", "status", "value", "target", "numerator", "denominator", "credit")
    } == {
        "id": "sl",
        "kpi": "service_level",
        "status": "met",
        "value": 0.8123,
        "target": 0.8,
        "numerator": 8123,
        "denominator": 10000,
        "credit": "0.00",
    }
    assert {
        key: objective["windows"][0][key]
        for key in ("start", "status", "value", "numerator", "denominator")
    } == {
        "start": "2026-10-01",
        "status": "met",
        "value": 0.8123,
        "numerator": 8123,
        "denominator": 10000,
    }
    assert {key: document["credits"][key] for key in ("currency", "at_risk", "total")} == {
        "currency": "EUR",
        "at_risk": "10000.00",
        "total": "0.00",
    }


@given(year=st.integers(1999, 2040), month_number=st.integers(1, 12))
def test_week_windows_cover_the_month_day_by_day_without_overlap(
    year: int, month_number: int
) -> None:
    first = date(year, month_number, 1)
    end = date(year + month_number // 12, month_number % 12 + 1, 1)
    weeks = window_bounds("week", first, end)
    assert weeks[0][0] == first and weeks[-1][1] == end
    assert all(left[1] == right[0] for left, right in pairwise(weeks))
    assert all(start.weekday() == 0 for start, _ in weeks[1:])
    assert all((stop - start).days <= 7 for start, stop in weeks)
