"""Relief requests (SPEC section 7): the contract's rules, the deadline and the monthly
allowance refused with their figures, the four-eyes rule, a final decision, and the
`relief_pending` webhook event, on every storage backend.

Deadline worked by hand: an incident ending Friday 27 March 2026 at 14:00 (Paris), 7 business
days on `office` (mon-fri, French holidays). The count starts Saturday 28; Sunday 29 is the
DST change; business days are 30, 31 March, 1, 2, 3 April, (weekend, Easter Monday 6 April
closed) 7 and 8 April: the deadline is local midnight ending Wednesday 8 April, that is
Thursday 9 April 00:00 +02:00 = 8 April 22:00 UTC (23:00 UTC had the offset stayed +01:00).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import relief_repo, run_repo
from slaengine.domain.contract.periods import Period
from slaengine.domain.evaluation.relief import ReliefRequest, relief_hours_in
from slaengine.errors import ContractNotFound, ReliefError
from slaengine.services.contracts import contract_in_force, load_contracts
from slaengine.services.relief import ReliefAsked, decide_relief, list_relief, request_relief

CONTRACT = """\
apiVersion: slaengine/v1
kind: Contract
id: shop
version: 1
title: Shop support
provider: {id: callco, name: CallCo, sourcing: outsourced}
activity: shop-support
effective: {from: 2026-01-01}
timezone: Europe/Paris
currency: EUR
calendars:
  office:
    weekly: {mon-fri: ["09:00-18:00"]}
    holidays: {country: FR}
objectives:
  - id: phone-sl
    channel: phone
    kpi: service_level
    threshold: 20s
    target: ">= 80%"
exclusions:
  relief:
    request_within: 7 business days
    calendar: office
    max_hours_per_month: 16
"""
PARIS_WINTER = "+01:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def asked(
    start: str, end: str, by: str = "ops.a", channels: tuple[str, ...] = ("phone",)
) -> ReliefAsked:
    return ReliefAsked("shop", at(start), at(end), channels, None, "carrier outage", by)


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "shop.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    load_contracts(engine, [path])
    return engine


def stored(engine: Engine) -> list[ReliefRequest]:
    return relief_repo.requests(engine)


def test_a_deadline_across_a_weekend_dst_and_easter_monday_is_local_midnight(shop: Engine) -> None:
    incident = asked("2026-03-27T10:00:00+01:00", "2026-03-27T14:00:00+01:00")
    in_time = request_relief(shop, incident, now=at("2026-04-08T21:59:59+00:00"))
    assert in_time.id == 1 and in_time.status == "pending"
    with pytest.raises(ReliefError) as refused:
        request_relief(shop, incident, now=at("2026-04-08T22:30:00+00:00"))
    assert str(refused.value) == (
        "relief request refused: too late: contract shop accepts relief requests within"
        " 7 business days on calendar 'office' after the incident ends (2026-03-27 14:00),"
        " that is until 2026-04-09 00:00 (Europe/Paris); it is 2026-04-09 00:30"
    )
    assert [r.id for r in stored(shop)] == [1]  # the late one stored nothing


def test_an_incident_ending_at_local_midnight_counts_from_that_day(shop: Engine) -> None:
    # ends Monday 9 March 00:00: Monday to Tuesday of the next week are the 7 days
    incident = asked("2026-03-08T20:00:00+01:00", "2026-03-09T00:00:00+01:00")
    request_relief(shop, incident, now=at("2026-03-17T23:59:00+01:00"))
    with pytest.raises(ReliefError, match="until 2026-03-18 00:00"):
        request_relief(shop, incident, now=at("2026-03-18T00:00:01+01:00"))


def test_approved_relief_beyond_the_monthly_allowance_is_refused_with_the_figure(
    shop: Engine,
) -> None:
    now = at("2026-10-23T12:00:00+02:00")
    first = request_relief(shop, asked("2026-10-20T08:00+02:00", "2026-10-20T18:00+02:00"), now=now)
    second = request_relief(
        shop, asked("2026-10-21T08:00+02:00", "2026-10-21T18:00+02:00"), now=now
    )
    decide_relief(shop, first.id, "approved", "boss", "", now=now)
    with pytest.raises(ReliefError) as refused:
        decide_relief(shop, second.id, "approved", "boss", "", now=now)
    assert str(refused.value) == (
        "approval of relief request 2 refused: beyond the monthly allowance: contract shop"
        " allows 16 hours of approved relief per month; 2026-10 already has 10 hours approved"
        " and request 2 would bring 10 more (20 hours)"
    )
    assert [r.status for r in stored(shop)] == ["approved", "pending"]
    # a request that could never be approved is refused at once, nothing stored
    with pytest.raises(
        ReliefError,
        match=re.escape(
            "already has 10 hours approved and this request would bring 6.5 more (16.5 hours)"
        ),
    ):
        request_relief(shop, asked("2026-10-22T08:00+02:00", "2026-10-22T14:30+02:00"), now=now)
    assert len(stored(shop)) == 2
    # exactly up to the allowance is fine: 10 + 6 = 16
    third = request_relief(shop, asked("2026-10-22T08:00+02:00", "2026-10-22T14:00+02:00"), now=now)
    assert decide_relief(shop, third.id, "approved", "boss", "", now=now).status == "approved"


def test_overlapping_relief_counts_its_hours_once_and_a_month_boundary_splits_them(
    shop: Engine,
) -> None:
    contract = contract_in_force(shop, "shop", datetime(2026, 10, 1).date()).contract
    made = at("2026-11-01T12:00:00+01:00")
    one = ReliefRequest(1, "shop", at("2026-10-31T20:00+01:00"), at("2026-11-01T04:00+01:00"),
                        ("phone",), None, "x", "a", made)  # fmt: skip
    two = ReliefRequest(2, "shop", at("2026-10-31T22:00+01:00"), at("2026-10-31T23:00+01:00"),
                        ("chat",), None, "x", "a", made)  # fmt: skip
    october, november = Period.of("2026-10", contract), Period.of("2026-11", contract)
    assert str(relief_hours_in([one, two], october)) == "4.00"
    assert str(relief_hours_in([one, two], november)) == "4.00"


def test_the_requester_never_decides_and_a_decision_is_final(shop: Engine) -> None:
    now = at("2026-10-23T12:00:00+02:00")
    made = request_relief(shop, asked("2026-10-20T08:00+02:00", "2026-10-20T10:00+02:00"), now=now)
    with pytest.raises(
        ReliefError, match=re.escape("was made by ops.a: someone else must approve")
    ):
        decide_relief(shop, made.id, "approved", "ops.a", "", now=now)
    with pytest.raises(ReliefError, match="needs --note"):
        decide_relief(shop, made.id, "rejected", "boss", " ", now=now)
    decide_relief(shop, made.id, "rejected", "boss", "not the client's fault", now=now)
    with pytest.raises(ReliefError, match=r"already rejected by boss .* a decision is final"):
        decide_relief(shop, made.id, "approved", "cfo", "", now=now)
    withdrawn = decide_relief(shop, made.id, "withdrawn", "boss", "typo in the interval", now=now)
    assert withdrawn.status == "withdrawn"
    assert [(s.kind, s.by, s.note) for s in withdrawn.steps] == [
        ("rejected", "boss", "not the client's fault"),
        ("withdrawn", "boss", "typo in the interval"),
    ]
    with pytest.raises(ReliefError, match="already withdrawn by boss"):
        decide_relief(shop, made.id, "withdrawn", "cfo", "again", now=now)
    with pytest.raises(ReliefError, match="no relief request 99"):
        decide_relief(shop, 99, "approved", "cfo", "", now=now)


@pytest.mark.parametrize(
    ("start", "end", "channels", "expected"),
    [
        ("2026-10-20T10:00+02:00", "2026-10-20T09:00+02:00", ("phone",),
         "the incident must end after it starts"),
        ("2026-10-01T00:00+02:00", "2026-11-02T00:00+01:00", ("phone",),
         "covers at most 31 days, found 769.00 hours"),
        ("2026-10-20T08:00+02:00", "2026-10-20T09:00+02:00", ("phone", "chat"),
         "contract shop has no objective on chat (channels it covers: phone)"),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_and_store_nothing(
    shop: Engine, start: str, end: str, channels: tuple[str, ...], expected: str
) -> None:
    with pytest.raises(ReliefError, match=expected.replace("(", "\\(").replace(")", "\\)")):
        request_relief(shop, asked(start, end, channels=channels), now=at("2026-10-21T00:00Z"))
    assert stored(shop) == []


def test_an_unknown_contract_or_a_naive_instant_is_refused(shop: Engine) -> None:
    bad = ReliefAsked("nope", at("2026-10-20T08:00+02:00"), at("2026-10-20T09:00+02:00"),
                      ("phone",), None, "x", "a")  # fmt: skip
    with pytest.raises(ContractNotFound):
        request_relief(shop, bad, now=at("2026-10-21T00:00Z"))
    naive = asked("2026-10-20T08:00:00", "2026-10-20T09:00:00+02:00")
    with pytest.raises(ReliefError, match="has no UTC offset"):
        request_relief(shop, naive, now=at("2026-10-21T00:00Z"))
    with pytest.raises(ContractNotFound):
        list_relief(shop, "nope")
    assert stored(shop) == []


def test_the_list_filters_by_month_of_the_contract_and_status(shop: Engine) -> None:
    now = at("2026-11-03T12:00:00+01:00")
    request_relief(shop, asked("2026-10-31T23:30+01:00", "2026-11-01T00:30+01:00"), now=now)
    request_relief(shop, asked("2026-11-02T08:00+01:00", "2026-11-02T09:00+01:00"), now=now)
    decide_relief(shop, 2, "approved", "boss", "", now=now)
    assert [r.id for r in list_relief(shop, "shop", period="2026-10")] == [1]
    assert [r.id for r in list_relief(shop, period="2026-11")] == [1, 2]
    assert [r.id for r in list_relief(shop, "shop", status="approved")] == [2]


def problems_of(path: Path, text: str) -> list[str]:
    from slaengine.services.contracts import check_contracts

    path.write_text(text, encoding="utf-8")
    return check_contracts([path]).problems


def test_contract_rules_check_the_relief_block_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    bad_delay = CONTRACT.replace("7 business days", "7 bisness days")
    [delay] = problems_of(path, bad_delay)
    assert delay.startswith(f"{path}:23:21: ")
    assert "expected a delay such as '5 business days' or '10 days'" in delay
    typo = CONTRACT.replace("calendar: office\n    max", "calendar: ofice\n    max")
    assert problems_of(path, typo) == [
        f"{path}:24:15: calendar 'ofice' is not defined under calendars; did you mean"
        " 'office'? (defined: office)"
    ]
    no_calendar = CONTRACT.replace("    calendar: office\n    max", "    max")
    [missing] = problems_of(path, no_calendar)
    assert (
        missing.startswith(f"{path}:23:21: ")
        and "counts business days: name the calendar" in missing
    )
    assert problems_of(path, CONTRACT) == []


def test_a_contract_without_relief_rules_accepts_any_late_request(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "free.yaml"
    path.write_text(CONTRACT.split("exclusions:")[0], encoding="utf-8")
    load_contracts(engine, [path])
    found = request_relief(
        engine, asked("2026-01-05T08:00+01:00", "2026-01-30T08:00+01:00"),
        now=at("2026-12-01T00:00Z"),
    )  # fmt: skip
    assert decide_relief(engine, found.id, "approved", "boss", "", now=at("2026-12-01T00:00Z"))


def test_a_pending_request_is_announced_once_after_two_business_days(
    engine: Engine, tmp_path: Path
) -> None:
    from dataclasses import replace

    from slaengine.services.month_to_date import month_to_date
    from tests.close_builders import load_world, settings_for, webhook_server

    load_world(engine, tmp_path)  # `breaching` and `meeting`, no relief block: Monday-Friday
    made = ReliefAsked("meeting", at("2026-10-02T08:00+02:00"), at("2026-10-02T09:00+02:00"),
                       ("phone",), None, "CRM down", "ops.a")  # fmt: skip
    request_relief(engine, made, now=at("2026-10-02T17:00:00+02:00"))  # a Friday
    fast = {"wait_seconds": 0.0, "attempts": 2}
    with webhook_server() as hook:
        settings = settings_for(tmp_path)
        settings = replace(settings, delivery=replace(settings.delivery, webhook_url=hook.url))
        for day in ("2026-10-05T10:00:00+02:00", "2026-10-06T10:00:00+02:00"):  # Mon, Tue
            month_to_date(engine, settings, as_of=at(day), webhook_options=fast)
        assert [b for b in hook.bodies if b["event"] == "relief_pending"] == []
        for day in ("2026-10-07T10:00:00+02:00", "2026-10-08T10:00:00+02:00"):  # Wed, Thu
            month_to_date(engine, settings, as_of=at(day), webhook_options=fast)
        sent = [b for b in hook.bodies if b["event"] == "relief_pending"]
    assert sent == [
        {
            "event": "relief_pending", "contract": "meeting", "contract_version": 1,
            "provider": "p-meeting", "request": 1,
            "from": "2026-10-02T06:00:00+00:00", "to": "2026-10-02T07:00:00+00:00",
            "channels": ["phone"], "queues": None, "hours": "1.00", "reason": "CRM down",
            "requested_by": "ops.a", "requested_at": "2026-10-02T15:00:00+00:00",
            "business_days_waiting": 2, "as_of": "2026-10-07T08:00:00+00:00",
        }
    ]  # fmt: skip
    assert run_repo.delivery(engine, "webhook:relief_pending:1") is not None
    # once decided, nothing more to announce
    decide_relief(engine, 1, "approved", "boss", "", now=at("2026-10-08T12:00Z"))
    assert relief_repo.requests(engine)[0].status == "approved"


def test_relief_times_are_stored_as_utc_instants(shop: Engine) -> None:
    made = request_relief(
        shop, asked("2026-10-20T08:00+02:00", "2026-10-20T09:30+02:00"),
        now=datetime(2026, 10, 21, 7, 5, tzinfo=UTC),
    )  # fmt: skip
    again = stored(shop)[0]
    assert (again.start, again.end, again.requested_at) == (
        datetime(2026, 10, 20, 6, tzinfo=UTC),
        datetime(2026, 10, 20, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 21, 7, 5, tzinfo=UTC),
    )
    assert str(made.hours) == "1.50"


def test_the_database_keeps_one_decision_even_when_both_checks_passed(shop: Engine) -> None:
    """The unique (request, slot) is the last word: a second decision whose own check saw a
    pending request (as two racing processes could) is refused by the database itself."""
    from slaengine.domain.evaluation.relief import ReliefStep

    now = at("2026-10-23T12:00:00+02:00")
    made = request_relief(shop, asked("2026-10-20T08:00+02:00", "2026-10-20T10:00+02:00"), now=now)

    def blind(_request: ReliefRequest, _others: list[ReliefRequest]) -> None:
        return None

    relief_repo.decide(shop, "shop", made.id, blind, ReliefStep("approved", "boss", now))
    with pytest.raises(relief_repo.StepTaken):
        relief_repo.decide(shop, "shop", made.id, blind, ReliefStep("rejected", "cfo", now, "no"))
    assert [s.kind for s in stored(shop)[0].steps] == ["approved"]


def test_an_event_naming_queues_excludes_them_alike_in_the_reference_and_fast_tallies() -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    import polars as pl

    from slaengine.adapters.compute.tally import tally_objective
    from slaengine.domain.contract.model import ExclusionEvent, Objective
    from slaengine.domain.evaluation.kpis import ContactRecord, tally_contacts
    from tests.test_tally import frame_of

    base = datetime(2026, 10, 5, 8, tzinfo=UTC)
    records = [
        ContactRecord(f"c{n}", "phone", base + timedelta(minutes=n),
                      answered_at=base + timedelta(minutes=n, seconds=10 + n),
                      queue=("vip" if n % 3 == 0 else "default"))
        for n in range(12)
    ]  # fmt: skip
    event = ExclusionEvent.model_validate(
        {"id": "e", "from": base, "to": base + timedelta(minutes=6), "channels": ["phone"],
         "queues": ["vip"], "reason": "r", "approved_by": "b"}
    )  # fmt: skip
    objective = Objective.model_validate(
        {"id": "sl", "channel": "phone", "kpi": "service_level", "threshold": "15s",
         "target": ">= 80%"}
    )  # fmt: skip
    zone, as_of = ZoneInfo("Europe/Paris"), base + timedelta(days=1)
    reference = tally_contacts(objective, records, zone, {}, as_of=as_of, events=[event])
    frame = frame_of(records).with_columns(pl.Series("queue", [r.queue for r in records]))
    fast = tally_objective(frame, objective, zone, {}, as_of=as_of, events=[event])
    assert fast == reference
    day = reference[base.date()]
    # vip contacts inside the first 6 minutes: c0 and c3; the other vip ones stay
    assert (day.excluded, day.offered, day.answered_within) == (2, 10, 4)
