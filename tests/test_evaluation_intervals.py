"""Intervals feeds: figures from counts, never with a threshold the feed does not carry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from slaengine.adapters.compute.interval_tally import tally_intervals
from slaengine.domain.contract.model import Calendar, Objective
from slaengine.domain.evaluation.kpis import Counts, kpi_figures, sum_counts

PARIS = ZoneInfo("Europe/Paris")


def intervals(*rows: dict[str, Any]) -> pl.DataFrame:
    base = {
        "interval_minutes": 30,
        "channel": "phone",
        "queue": "default",
        "offered": 100,
        "answered": 90,
        "abandoned": 10,
        "abandoned_short": 4,
        "answered_within_threshold": 80,
        "threshold_seconds": 20,
        "short_abandon_seconds": 5,
        "wait_seconds_answered": 900.0,
        "handle_seconds": 18_000.0,
    }
    return pl.DataFrame(
        [base | row for row in rows],
        schema_overrides={"interval_start": pl.Datetime("us", "UTC")},
    )


def goal(**data: Any) -> Objective:
    return Objective.model_validate({"id": "o", "channel": "phone", "target": ">= 80%"} | data)


MORNING = datetime(2026, 10, 6, 8, 0, tzinfo=UTC)  # 10:00 Paris, a Tuesday
NIGHT = datetime(2026, 10, 6, 21, 0, tzinfo=UTC)  # 23:00 Paris


def test_service_level_from_intervals_adds_their_counts_per_local_day() -> None:
    objective = goal(
        kpi="service_level",
        threshold="20s",
        denominator="offered_excluding_short_abandons",
        short_abandon="5s",
    )
    daily, problem = tally_intervals(
        intervals({"interval_start": MORNING}, {"interval_start": NIGHT}), objective, PARIS, {}
    )
    assert problem is None
    total = sum_counts(daily.values())
    assert list(daily) == [date(2026, 10, 6)]
    assert kpi_figures(objective, total)[:3] == (Fraction(160, 192), 160, 192)


def test_the_calendar_selects_intervals_starting_while_open() -> None:
    hours = {"open": Calendar.model_validate({"weekly": {"mon-sun": ["08:00-22:00"]}})}
    objective = goal(kpi="answer_rate", calendar="open")
    daily, _ = tally_intervals(
        intervals({"interval_start": MORNING}, {"interval_start": NIGHT}), objective, PARIS, hours
    )
    assert sum_counts(daily.values()).offered == 100


@pytest.mark.parametrize(
    ("objective", "reason"),
    [
        (
            goal(kpi="service_level", threshold="30s"),
            "the intervals feed counts answers within 20s, the objective needs 30s",
        ),
        (
            goal(kpi="abandonment_rate", short_abandon="10s", target="<= 5%"),
            "the intervals feed counts short abandons within 5s, the objective needs 10s",
        ),
        (
            goal(kpi="service_level", threshold="20s", denominator="answered_and_late_abandons"),
            "the intervals feed does not count abandons after the threshold",
        ),
        (goal(kpi="csat"), "the intervals feed carries no csat (it needs the contacts feed)"),
    ],
)
def test_a_figure_the_feed_cannot_give_is_not_determined_with_the_reason(
    objective: Objective, reason: str
) -> None:
    assert tally_intervals(intervals({"interval_start": MORNING}), objective, PARIS, {}) == (
        {},
        reason,
    )


def test_average_speed_and_handle_time_come_from_the_summed_seconds() -> None:
    rows = intervals({"interval_start": MORNING}, {"interval_start": NIGHT, "answered": 60})
    asa, _ = tally_intervals(rows, goal(kpi="average_speed_of_answer", target="<= 30s"), PARIS, {})
    total = sum_counts(asa.values())
    assert total == Counts(
        offered=200,
        answered=150,
        abandoned=20,
        wait_us_answered=1_800_000_000,
        handle_us_answered=36_000_000_000,
    )
    assert kpi_figures(goal(kpi="average_speed_of_answer"), total)[0] == 12
