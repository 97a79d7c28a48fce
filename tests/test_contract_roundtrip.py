"""Property: any valid contract, dumped to YAML and loaded again, is the same contract."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slaengine.adapters.yaml.contract import dump_contract, parse_contract_text
from slaengine.domain.contract.model import DAY_NAMES, Contract
from slaengine.domain.contract.rules import find_problems

slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(str.strip)
durations = st.builds(
    lambda number, unit: f"{number}{unit}", st.integers(0, 500), st.sampled_from(["s", "min", "h"])
)
percents = st.decimals("0", "100", places=1).map(lambda number: f"{number}%")
operators = st.sampled_from([">=", ">", "<=", "<"])


@st.composite
def intervals(draw: st.DrawFn) -> list[str]:
    """Sorted, non-overlapping opening intervals of one day."""
    points = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
    pairs = list(zip(points[::2], points[1::2], strict=False))
    return [f"{_clock(start)}-{_clock(end)}" for start, end in pairs]


def _clock(quarter: int) -> str:
    return f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"


@st.composite
def calendars(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))
    calendar: dict[str, Any] = {"weekly": {day: draw(intervals()) for day in days}}
    if draw(st.booleans()):
        closed = draw(st.lists(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=3))
        calendar["holidays"] = {
            "country": draw(st.sampled_from(["FR", "DE", "GB"])),
            "closed": [day.isoformat() for day in closed],
        }
    return calendar


@st.composite
def objectives(draw: st.DrawFn, objective_id: str, calendar_names: list[str]) -> dict[str, Any]:
    kpi = draw(
        st.sampled_from(
            [
                "service_level",
                "answer_rate",
                "abandonment_rate",
                "average_speed_of_answer",
                "average_handle_time",
                "response_within",
                "first_contact_resolution",
                "csat",
                "nps",
                "cost_per_contact",
            ]
        )
    )
    objective: dict[str, Any] = {"id": objective_id, "kpi": kpi}
    operator = draw(operators)
    if kpi in ("service_level", "answer_rate", "abandonment_rate"):
        objective["channel"] = draw(st.sampled_from(["phone", "chat", ["phone", "chat"]]))
        denominator = draw(
            st.sampled_from(
                ["offered", "offered_excluding_short_abandons", "answered_and_late_abandons"]
            )
        )
        objective["denominator"] = denominator
        if denominator == "offered_excluding_short_abandons":
            objective["short_abandon"] = draw(durations)
        if kpi == "service_level" or denominator == "answered_and_late_abandons":
            objective["threshold"] = draw(durations)
    if kpi == "response_within":
        objective["channel"] = draw(st.sampled_from(["email", "sms", ["social", "mail"]]))
        objective["threshold"] = draw(durations)
        if draw(st.booleans()) and calendar_names:
            objective["calendar"] = draw(st.sampled_from(calendar_names))
            objective["clock"] = draw(st.sampled_from(["business", "calendar"]))
    if kpi in ("average_speed_of_answer", "average_handle_time"):
        objective["target"] = f"{operator} {draw(st.integers(0, 3600))}s"
    elif kpi == "nps":
        objective["target"] = f"{operator} {draw(st.integers(-100, 100))}"
    elif kpi == "cost_per_contact":
        objective["target"] = f"{operator} {draw(st.decimals('0', '99', places=2))}"
    else:
        objective["target"] = f"{operator} {draw(st.decimals('0', '100', places=2))}%"
    if kpi == "csat" and draw(st.booleans()):
        objective["satisfied_from"] = draw(st.integers(1, 5))
    objective["window"] = draw(st.sampled_from(["month", "week", "day"]))
    if objective["window"] != "month" and draw(st.booleans()):
        objective["allowed_misses"] = draw(st.integers(0, 10))
    if draw(st.booleans()):
        objective["min_volume"] = draw(st.integers(0, 10_000))
    objective["level"] = draw(st.sampled_from(["critical", "key"]))
    return objective


@st.composite
def credits(draw: st.DrawFn, objective_ids: list[str]) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(objective_ids), unique=True))
    shares = {objective_id: draw(st.integers(0, 100)) for objective_id in chosen}
    block: dict[str, Any] = {
        "monthly_fee": draw(st.decimals("0", "9999999", places=2)),
        "at_risk": draw(percents),
        "allocation": {objective_id: f"{share}%" for objective_id, share in shares.items()},
    }
    if draw(st.booleans()):
        block["pool"] = f"{sum(shares.values()) + draw(st.integers(0, 100))}%"
    if draw(st.booleans()):
        block["earn_back"] = {"months": draw(st.integers(1, 24))}
    return block


@st.composite
def events(draw: st.DrawFn, event_id: str) -> dict[str, Any]:
    zone = timezone(timedelta(minutes=draw(st.integers(-12, 14)) * 60))
    start = draw(st.datetimes(datetime(2025, 1, 1), datetime(2027, 1, 1))).replace(
        microsecond=0, tzinfo=zone
    )
    end = start + timedelta(minutes=draw(st.integers(1, 72 * 60)))
    event: dict[str, Any] = {
        "id": event_id,
        "from": start.isoformat(),
        "to": end.astimezone(UTC).isoformat(),
        "reason": draw(names),
        "approved_by": draw(names),
    }
    if draw(st.booleans()):
        event["channels"] = draw(st.lists(st.sampled_from(["phone", "chat", "email"]), min_size=1))
    return event


@st.composite
def contracts(draw: st.DrawFn) -> Contract:
    start = draw(st.dates(date(2020, 1, 1), date(2030, 1, 1)))
    effective: dict[str, Any] = {"from": start.isoformat()}
    if draw(st.booleans()):
        effective["to"] = (start + timedelta(days=draw(st.integers(0, 3000)))).isoformat()
    calendar_map = draw(st.dictionaries(slugs, calendars(), max_size=3))
    ids = draw(st.lists(slugs, min_size=1, max_size=6, unique=True))
    document: dict[str, Any] = {
        "apiVersion": "slaengine/v1",
        "kind": "Contract",
        "id": draw(slugs),
        "version": draw(st.integers(1, 1000)),
        "title": draw(names),
        "provider": {
            "id": draw(slugs),
            "name": draw(names),
            "sourcing": draw(st.sampled_from(["outsourced", "in-house"])),
        },
        "activity": draw(slugs),
        "effective": effective,
        "timezone": draw(st.sampled_from(["Europe/Paris", "America/New_York", "UTC"])),
        "currency": draw(st.sampled_from(["EUR", "USD", "GBP"])),
        "calendars": calendar_map,
        "objectives": [draw(objectives(i, list(calendar_map))) for i in ids],
    }
    if draw(st.booleans()):
        document["credits"] = draw(credits(ids))
    if draw(st.booleans()):
        event_ids = draw(st.lists(slugs, max_size=3, unique=True))
        document["exclusions"] = {"events": [draw(events(e)) for e in event_ids]}
        if draw(st.booleans()):
            document["exclusions"]["volume_band"] = {"over_forecast": draw(percents)}
    if draw(st.booleans()):
        document["chronic_failure"] = {
            "breaches": draw(st.integers(1, 12)),
            "within_months": draw(st.integers(1, 36)),
        }
    contract = Contract.model_validate(document)
    assert find_problems(contract) == []  # the strategy builds valid contracts only
    return contract


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contracts())
def test_dump_then_load_gives_the_same_contract(contract: Contract) -> None:
    assert parse_contract_text(dump_contract(contract)) == contract


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contracts())
def test_the_dump_is_the_stored_document(contract: Contract) -> None:
    again = parse_contract_text(dump_contract(contract))
    assert again.to_document() == contract.to_document()
    assert all(isinstance(o.target.value, Decimal) for o in again.objectives if o.target)
