"""The polars tally gives exactly the reference tally's counts, whatever the rows and order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from slaengine.adapters.compute.tally import tally_objective
from slaengine.domain.contract.model import Calendar, ExclusionEvent, Objective
from slaengine.domain.evaluation.kpis import ContactRecord, tally_contacts
from slaengine.domain.evaluation.results import ExcludedDay

PARIS = ZoneInfo("Europe/Paris")
CALENDARS = {
    "opening-hours": Calendar.model_validate(
        {
            "weekly": {"mon-sat": ["08:00-22:00"], "sun": ["09:00-13:00", "14:00-18:00"]},
            "holidays": {"country": "FR", "closed": ["2026-03-30"]},
        }
    ),
    "office": Calendar.model_validate(
        {"weekly": {"mon-fri": ["09:00-18:00"]}, "holidays": {"country": "FR"}}
    ),
}
OBJECTIVES = [
    Objective.model_validate(data)
    for data in (
        {
            "id": "sl",
            "channel": "phone",
            "kpi": "service_level",
            "threshold": "20s",
            "denominator": "offered_excluding_short_abandons",
            "short_abandon": "5s",
            "calendar": "opening-hours",
            "target": ">= 80%",
        },
        {
            "id": "late",
            "channel": ["phone", "chat"],
            "kpi": "abandonment_rate",
            "threshold": "60s",
            "denominator": "answered_and_late_abandons",
            "target": "<= 5%",
        },
        {"id": "asa", "channel": "phone", "kpi": "average_speed_of_answer", "target": "<= 30s"},
        {
            "id": "email-24h",
            "channel": "email",
            "kpi": "response_within",
            "threshold": "24h",
            "target": ">= 95%",
        },
        {
            "id": "email-8h-business",
            "channel": "email",
            "kpi": "response_within",
            "threshold": "8h",
            "clock": "business",
            "calendar": "office",
            "target": ">= 95%",
        },
        {"id": "csat", "kpi": "csat", "target": ">= 85%", "calendar": "opening-hours"},
        {"id": "nps", "kpi": "nps", "target": ">= 30"},
    )
]
EVENTS = (
    ExclusionEvent.model_validate(
        {
            "id": "outage",
            "from": "2026-03-28T10:00:00+01:00",
            "to": "2026-03-28T14:30:00+01:00",
            "channels": ["phone"],
            "reason": "carrier",
            "approved_by": "j.martin",
        }
    ),
)
EXCLUDED_DAYS = (
    ExcludedDay(date(2026, 3, 31), "chat", 500, 300, "volume band"),
    ExcludedDay(date(2026, 10, 25), "phone", 500, 300, "volume band"),
)
START = datetime(2026, 3, 27, 22, 0, tzinfo=UTC)  # six days span the spring DST change in Paris
AUTUMN = datetime(2026, 10, 23, 22, 0, tzinfo=UTC)  # ...and the autumn one


@st.composite
def contacts(draw: Any) -> ContactRecord:
    start = draw(st.sampled_from([START, AUTUMN]))
    arrived = start + timedelta(seconds=draw(st.integers(0, 6 * 86_400)))
    channel = draw(st.sampled_from(["phone", "chat", "email"]))
    outcome = draw(st.sampled_from(["answered", "abandoned", "open"]))
    wait = timedelta(
        seconds=draw(st.sampled_from([0, 3, 5, 6, 20, 21, 60, 61, 3600, 28_800, 86_400, 90_000]))
    )
    return ContactRecord(
        contact_id="x",
        channel=channel,
        arrived_at=arrived,
        answered_at=arrived + wait if outcome == "answered" else None,
        abandoned_at=arrived + wait if outcome == "abandoned" else None,
        handle_seconds=draw(st.integers(0, 5000)) / 10 if outcome == "answered" else None,
        resolved_first_contact=draw(st.none() | st.booleans()),
        csat=draw(st.none() | st.integers(1, 5)),
        nps=draw(st.none() | st.integers(0, 10)),
    )


def frame_of(records: list[ContactRecord]) -> pl.DataFrame:
    stamp = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {
            "contact_id": [f"c{index}" for index in range(len(records))],
            "channel": [record.channel for record in records],
            "queue": ["default"] * len(records),
            "arrived_at": [record.arrived_at for record in records],
            "answered_at": [record.answered_at for record in records],
            "abandoned_at": [record.abandoned_at for record in records],
            "handle_seconds": [record.handle_seconds for record in records],
            "resolved_first_contact": [record.resolved_first_contact for record in records],
            "csat": [record.csat for record in records],
            "nps": [record.nps for record in records],
        },
        schema={
            "contact_id": pl.String,
            "channel": pl.String,
            "queue": pl.String,
            "arrived_at": stamp,
            "answered_at": stamp,
            "abandoned_at": stamp,
            "handle_seconds": pl.Float64,
            "resolved_first_contact": pl.Boolean,
            "csat": pl.Int64,
            "nps": pl.Int64,
        },
    )


@settings(max_examples=80, deadline=None)
@given(
    records=st.lists(contacts(), max_size=40),
    as_of_hours=st.integers(0, 24 * 9),
    objective_index=st.integers(0, len(OBJECTIVES) - 1),
    seed=st.randoms(use_true_random=False),
    exclusions=st.booleans(),
)
def test_polars_tally_equals_the_reference_tally_in_any_row_order(
    records: list[ContactRecord], as_of_hours: int, objective_index: int, seed: Any,
    exclusions: bool,
) -> None:  # fmt: skip
    objective = OBJECTIVES[objective_index]
    as_of = (START if as_of_hours % 2 else AUTUMN) + timedelta(hours=as_of_hours)
    events, days = (EVENTS, EXCLUDED_DAYS) if exclusions else ((), ())
    options = {"as_of": as_of, "events": events, "excluded_days": days}
    expected = tally_contacts(objective, records, PARIS, CALENDARS, **options)
    shuffled = list(records)
    seed.shuffle(shuffled)
    assert tally_objective(frame_of(records), objective, PARIS, CALENDARS, **options) == expected
    assert tally_objective(frame_of(shuffled), objective, PARIS, CALENDARS, **options) == expected
    assert tally_contacts(objective, shuffled, PARIS, CALENDARS, **options) == expected


def test_an_empty_frame_tallies_nothing() -> None:
    as_of = START
    for objective in OBJECTIVES:
        assert tally_objective(frame_of([]), objective, PARIS, CALENDARS, as_of=as_of) == {}
