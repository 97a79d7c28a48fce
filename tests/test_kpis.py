"""The KPI catalogue worked by hand: every kpi, every denominator, thresholds met at equality."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from slaengine.domain.contract.model import Calendar, Objective
from slaengine.domain.evaluation.kpis import (
    ContactRecord,
    Counts,
    kpi_figures,
    kpi_volume,
    sum_counts,
    tally_contacts,
)

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)  # a Tuesday, 12:00 in Paris


def objective(**data: Any) -> Objective:
    base = {"id": "o", "channel": "phone", "target": ">= 80%"}
    return Objective.model_validate(base | data)


def call(wait_seconds: float, outcome: str = "answered", **extra: Any) -> ContactRecord:
    end = NOON + timedelta(seconds=wait_seconds)
    return ContactRecord(
        contact_id="c",
        channel=extra.pop("channel", "phone"),
        arrived_at=NOON,
        answered_at=end if outcome == "answered" else None,
        abandoned_at=end if outcome == "abandoned" else None,
        **extra,
    )


def icmi_calls() -> list[ContactRecord]:
    """1,000 answered (860 within 20 s); 60 abandoned: 10 within 5 s, 10 within 20 s, 40 after."""
    return (
        [call(20)] * 860
        + [call(21)] * 140
        + [call(5, "abandoned")] * 10
        + [call(15, "abandoned")] * 10
        + [call(45, "abandoned")] * 40
    )


def month_counts(goal: Objective, records: list[ContactRecord]) -> Counts:
    by_day = tally_contacts(goal, records, PARIS, {}, as_of=NOON + timedelta(days=40))
    return sum_counts(by_day.values())


@pytest.mark.parametrize(
    ("denominator", "expected", "shown"),
    [
        ("offered", Fraction(860, 1060), "81.1%"),
        ("offered_excluding_short_abandons", Fraction(860, 1050), "81.9%"),
        ("answered_and_late_abandons", Fraction(860, 1040), "82.7%"),
        ("answered", Fraction(860, 1000), "86.0%"),
    ],
)
def test_the_icmi_example_gives_each_denominator_its_service_level(
    denominator: str, expected: Fraction, shown: str
) -> None:
    goal = objective(
        kpi="service_level", threshold="20s", short_abandon="5s", denominator=denominator
    )
    value, numerator, _ = kpi_figures(goal, month_counts(goal, icmi_calls()))
    assert value == expected
    assert numerator == 860
    assert f"{float(value):.1%}" == shown


def test_a_wait_equal_to_the_threshold_meets_it_and_one_second_more_does_not() -> None:
    goal = objective(kpi="service_level", threshold="20s")
    counts = month_counts(goal, [call(20), call(20.000001)])
    assert (counts.answered, counts.answered_within) == (2, 1)


def test_short_abandons_leave_the_denominator_and_the_abandonment_rate() -> None:
    goal = objective(
        kpi="abandonment_rate",
        short_abandon="5s",
        denominator="offered_excluding_short_abandons",
        target="<= 5%",
    )
    value, numerator, denominator = kpi_figures(goal, month_counts(goal, icmi_calls()))
    assert (value, numerator, denominator) == (Fraction(50, 1050), 50, 1050)


def test_without_short_abandon_every_abandon_counts() -> None:
    goal = objective(kpi="abandonment_rate", target="<= 5%")
    assert kpi_figures(goal, month_counts(goal, icmi_calls()))[0] == Fraction(60, 1060)


def test_answer_rate_over_offered() -> None:
    goal = objective(kpi="answer_rate", target=">= 90%")
    assert kpi_figures(goal, month_counts(goal, icmi_calls()))[0] == Fraction(1000, 1060)


def test_average_speed_of_answer_is_the_mean_wait_of_answered_contacts_only() -> None:
    goal = objective(kpi="average_speed_of_answer", target="<= 30s")
    value, numerator, denominator = kpi_figures(goal, month_counts(goal, icmi_calls()))
    assert numerator == Decimal(860 * 20 + 140 * 21)
    assert denominator == 1000
    assert value == Fraction(860 * 20 + 140 * 21, 1000)


def test_average_handle_time_is_the_mean_handle_seconds_of_answered_contacts() -> None:
    goal = objective(kpi="average_handle_time", target="<= 300s")
    records = [call(1, handle_seconds=100.5), call(1, handle_seconds=200), call(5, "abandoned")]
    assert kpi_figures(goal, month_counts(goal, records)) == (
        Fraction(601, 4),  # 300.5 s over 2 answered
        Decimal("300.5"),
        2,
    )


def test_first_contact_resolution_counts_only_contacts_where_it_is_known() -> None:
    goal = objective(kpi="first_contact_resolution", target=">= 75%")
    records = [call(1, resolved_first_contact=flag) for flag in (True, True, True, False, None)]
    assert kpi_figures(goal, month_counts(goal, records)) == (Fraction(3, 4), 3, 4)


def test_csat_counts_scores_from_satisfied_from_among_scores_given() -> None:
    goal = objective(kpi="csat", satisfied_from=4, target=">= 85%")
    records = [call(1, csat=score) for score in (5, 4, 3, 1, None)]
    assert kpi_figures(goal, month_counts(goal, records)) == (Fraction(1, 2), 2, 4)


def test_nps_is_promoters_minus_detractors_in_points() -> None:
    goal = objective(kpi="nps", target=">= 30")
    records = [call(1, nps=score) for score in (10, 9, 9, 8, 7, 6, 0, None)]
    value, numerator, denominator = kpi_figures(goal, month_counts(goal, records))
    assert (value, numerator, denominator) == (Fraction(100 * (3 - 2), 7), 1, 7)


def test_cost_per_contact_divides_the_month_cost_by_answered_contacts() -> None:
    goal = objective(kpi="cost_per_contact", target="<= 5")
    counts = Counts(answered=400, cost=Decimal("1000.00"))
    assert kpi_figures(goal, counts) == (Fraction(5, 2), Decimal("1000.00"), 400)


def test_response_within_counts_pending_and_missed_at_as_of() -> None:
    goal = objective(channel="email", kpi="response_within", threshold="24h", target=">= 95%")
    day = timedelta(hours=24)
    records = [
        call(3600, channel="email"),  # answered in 1 h: due at as_of, within
        call(24 * 3600, channel="email"),  # answered at exactly 24 h: within
        call(0, "open", channel="email"),  # never answered, deadline passed: missed
    ]
    late = ContactRecord("late", "email", NOON + day, answered_at=None)  # deadline after as_of
    as_of = NOON + day + timedelta(seconds=1)
    counts = sum_counts(tally_contacts(goal, [*records, late], PARIS, {}, as_of=as_of).values())
    assert (counts.due, counts.responded_within, counts.pending) == (3, 2, 1)
    assert kpi_figures(goal, counts) == (Fraction(2, 3), 2, 3)
    assert kpi_volume(goal, counts) == 3


def test_an_answer_given_after_as_of_is_not_known_yet() -> None:
    goal = objective(channel="email", kpi="response_within", threshold="1h", target=">= 95%")
    record = call(1800, channel="email")
    counts = sum_counts(
        tally_contacts(goal, [record], PARIS, {}, as_of=NOON + timedelta(minutes=61)).values()
    )
    assert (counts.due, counts.responded_within) == (1, 1)
    counts = sum_counts(
        tally_contacts(goal, [record], PARIS, {}, as_of=NOON + timedelta(minutes=20)).values()
    )
    assert (counts.due, counts.pending) == (0, 1)


def test_a_holiday_in_the_middle_of_a_business_clock_does_not_run() -> None:
    office = Calendar.model_validate(
        {"weekly": {"mon-fri": ["09:00-18:00"]}, "holidays": {"country": "FR"}}
    )
    goal = objective(
        channel="email",
        kpi="response_within",
        threshold="9h",
        clock="business",
        calendar="office",
        target=">= 95%",
    )
    # Tue 2026-11-10 17:00 Paris; Wed 11 November is a public holiday; 9 business hours end
    # Thu 12 17:00 Paris (1 h on Tuesday, 8 h on Thursday).
    arrived = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
    on_time = ContactRecord(
        "a", "email", arrived, answered_at=datetime(2026, 11, 12, 16, 0, tzinfo=UTC)
    )
    too_late = ContactRecord(
        "b", "email", arrived, answered_at=datetime(2026, 11, 12, 16, 0, 1, tzinfo=UTC)
    )
    as_of = datetime(2026, 11, 20, tzinfo=UTC)
    counts = sum_counts(
        tally_contacts(goal, [on_time, too_late], PARIS, {"office": office}, as_of=as_of).values()
    )
    assert (counts.due, counts.responded_within) == (2, 1)


def test_counts_add_field_by_field() -> None:
    assert Counts(offered=2, cost=Decimal("1.5")) + Counts(offered=3, excluded=1) == Counts(
        offered=5, excluded=1, cost=Decimal("1.5")
    )


def test_nothing_to_count_gives_no_value() -> None:
    for kpi in ("service_level", "average_speed_of_answer", "csat", "nps", "cost_per_contact"):
        goal = objective(kpi=kpi, threshold="20s" if kpi == "service_level" else None)
        assert kpi_figures(goal, Counts())[0] is None
