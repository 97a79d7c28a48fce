"""The demo's seeded feed generator: deterministic, realistic, with its planted problems."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.yaml.contract import load_contract_file
from slaengine.demo.generate import BAD_ROWS, GeneratedFile, generate_feeds
from slaengine.domain.contract.model import Contract
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS

PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime.fromisoformat("2026-11-02T08:00:00+01:00")


def example_contracts() -> list[Contract]:
    return [load_contract_file(path) for path in sorted(CONTRACTS.glob("*.yaml"))]


@pytest.fixture(scope="module")
def october(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedFile]:
    """Two months (September, October 2026) of every example contract, seed 7."""
    out = tmp_path_factory.mktemp("feeds")
    return generate_feeds(out, example_contracts(), ["2026-09", "2026-10"], seed=7, as_of=AS_OF)


def rows_of(
    files: list[GeneratedFile], contract_id: str, kind: str, month: str
) -> list[dict[str, str]]:
    (found,) = [f for f in files if (f.contract_id, f.kind, f.month) == (contract_id, kind, month)]
    with found.path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def good_phone_rows(
    files: list[GeneratedFile], contract_id: str, month: str
) -> list[dict[str, str]]:
    rows = rows_of(files, contract_id, "contacts", month)
    return [r for r in rows if r["channel"] == "phone" and "BAD" not in r["contact_id"]]


def wait_seconds(row: dict[str, str]) -> float:
    end = row["answered_at"] or row["abandoned_at"]
    return (datetime.fromisoformat(end) - datetime.fromisoformat(row["arrived_at"])).total_seconds()


def local_day(row: dict[str, str]) -> date:
    return datetime.fromisoformat(row["arrived_at"]).astimezone(PARIS).date()


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    contracts = example_contracts()
    first = generate_feeds(tmp_path / "a", contracts, ["2026-10"], seed=7, as_of=AS_OF)
    second = generate_feeds(tmp_path / "b", contracts, ["2026-10"], seed=7, as_of=AS_OF)
    other = generate_feeds(tmp_path / "c", contracts, ["2026-10"], seed=8, as_of=AS_OF)
    assert [f.path.relative_to(tmp_path / "a") for f in first] == [
        f.path.relative_to(tmp_path / "b") for f in second
    ]
    assert all(
        a.path.read_bytes() == b.path.read_bytes() for a, b in zip(first, second, strict=True)
    )
    assert first[0].path.read_bytes() != other[0].path.read_bytes()


def test_every_contract_gets_contacts_forecasts_and_costs_for_every_month(
    october: list[GeneratedFile],
) -> None:
    kinds = Counter((f.contract_id, f.kind) for f in october)
    for contract_id in ("acme-l1", "inhouse-l1", "nordline-overflow"):
        for kind in ("contacts", "forecasts", "costs"):
            assert kinds[(contract_id, kind)] == 2
    assert [f.month for f in october] == ["2026-09"] * 9 + ["2026-10"] * 9


def test_channel_mix_follows_each_provider(october: list[GeneratedFile]) -> None:
    def channels(contract_id: str) -> set[str]:
        return {r["channel"] for r in rows_of(october, contract_id, "contacts", "2026-10")}

    assert channels("acme-l1") == {"phone", "chat", "email", "sms", "social"}
    assert channels("nordline-overflow") == {"phone", "chat"}
    assert channels("inhouse-l1") == {"phone", "email", "social"}


def test_timestamps_carry_the_paris_offset_of_their_own_instant_across_the_dst_change(
    october: list[GeneratedFile],
) -> None:
    rows = rows_of(october, "acme-l1", "contacts", "2026-10")
    offsets: Counter[str] = Counter()
    for row in rows:
        if row["contact_id"].endswith("BAD2"):
            continue
        arrived = datetime.fromisoformat(row["arrived_at"])
        assert arrived.utcoffset() == arrived.astimezone(PARIS).utcoffset()
        offsets[row["arrived_at"][-6:]] += 1
        if arrived.astimezone(PARIS).date() >= date(2026, 10, 26):
            assert row["arrived_at"].endswith("+01:00")
    assert set(offsets) == {"+02:00", "+01:00"}


def test_phone_and_chat_arrive_inside_opening_hours_and_not_on_closed_days(
    october: list[GeneratedFile],
) -> None:
    for row in rows_of(october, "nordline-overflow", "contacts", "2026-10"):
        local = datetime.fromisoformat(row["arrived_at"]).astimezone(PARIS)
        assert local.weekday() != 6, "nordline is closed on Sundays"
        opens, closes = (8, 20) if local.weekday() < 5 else (9, 17)
        assert opens <= local.hour < closes


def test_mondays_are_busier_than_saturdays(october: list[GeneratedFile]) -> None:
    per_weekday = Counter(
        local_day(r).weekday() for r in good_phone_rows(october, "acme-l1", "2026-09")
    )
    assert per_weekday[0] / 4 > 1.2 * per_weekday[2] / 5  # 4 Mondays, 5 Wednesdays in Sep 2026
    assert per_weekday[5] < per_weekday[0] / 2


def test_acme_phone_has_a_bad_second_week_in_the_last_month(october: list[GeneratedFile]) -> None:
    rows = good_phone_rows(october, "acme-l1", "2026-10")
    bad_week = {date(2026, 10, 12) + timedelta(days=n) for n in range(7)}
    late_abandons: Counter[date] = Counter()
    counted: Counter[date] = Counter()
    for row in rows:
        short = row["abandoned_at"] and wait_seconds(row) <= 5
        if not short:
            counted[local_day(row)] += 1
        if row["abandoned_at"] and not short:
            late_abandons[local_day(row)] += 1
    missed = {day for day in counted if late_abandons[day] / counted[day] > Decimal("0.05")}
    assert bad_week <= missed
    assert len(missed - bad_week) <= 2

    def service_level(days: set[date], inside: bool) -> float:
        scoped = [r for r in rows if (local_day(r) in days) == inside]
        fast = [r for r in scoped if r["answered_at"] and wait_seconds(r) <= 20]
        short = [r for r in scoped if r["abandoned_at"] and wait_seconds(r) <= 5]
        return len(fast) / (len(scoped) - len(short))

    assert service_level(bad_week, inside=True) < 0.6
    assert service_level(bad_week, inside=False) > 0.85


def test_the_other_providers_have_no_bad_week(october: list[GeneratedFile]) -> None:
    rows = good_phone_rows(october, "nordline-overflow", "2026-10")
    fast = [r for r in rows if r["answered_at"] and wait_seconds(r) <= 20]
    assert len(fast) / len(rows) > 0.8


def test_five_bad_rows_are_planted_in_the_bad_providers_last_file_only(
    october: list[GeneratedFile],
) -> None:
    def bad_ids(contract_id: str, month: str) -> list[str]:
        rows = rows_of(october, contract_id, "contacts", month)
        return sorted(r["contact_id"] for r in rows if "BAD" in r["contact_id"])

    assert bad_ids("acme-l1", "2026-10") == [
        "ACM-202610-BAD1",
        "ACM-202610-BAD2",
        "ACM-202610-BAD3",
        "ACM-202610-BAD3",
        "ACM-202610-BAD4",
    ]
    assert len(bad_ids("acme-l1", "2026-10")) == BAD_ROWS
    assert bad_ids("acme-l1", "2026-09") == []
    assert bad_ids("nordline-overflow", "2026-10") == []
    rows = {r["contact_id"]: r for r in rows_of(october, "acme-l1", "contacts", "2026-10")}
    assert rows["ACM-202610-BAD1"]["answered_at"] < rows["ACM-202610-BAD1"]["arrived_at"]
    assert rows["ACM-202610-BAD2"]["arrived_at"] == "2026-10-15T10:00:00"
    assert rows["ACM-202610-BAD4"]["csat"] == "7"


def test_contact_ids_are_unique_within_each_provider_across_months(
    october: list[GeneratedFile],
) -> None:
    for contract_id in ("acme-l1", "inhouse-l1", "nordline-overflow"):
        ids = [
            r["contact_id"]
            for month in ("2026-09", "2026-10")
            for r in rows_of(october, contract_id, "contacts", month)
            if "BAD" not in r["contact_id"]
        ]
        assert len(ids) == len(set(ids))


def test_emails_not_answered_by_the_extraction_instant_are_left_open(
    october: list[GeneratedFile],
) -> None:
    emails = [
        r for r in rows_of(october, "acme-l1", "contacts", "2026-10") if r["channel"] == "email"
    ]
    answered = [datetime.fromisoformat(r["answered_at"]) for r in emails if r["answered_at"]]
    still_open = [r for r in emails if not r["answered_at"]]
    assert max(answered) <= AS_OF
    assert len(still_open) > 20
    assert all(not r["abandoned_at"] and not r["handle_seconds"] for r in still_open)


def test_spike_days_exceed_the_forecast_by_more_than_the_band(october: list[GeneratedFile]) -> None:
    forecasts = {
        (r["date"], r["channel"]): int(r["contacts"])
        for r in rows_of(october, "acme-l1", "forecasts", "2026-10")
    }
    actual = Counter(
        (local_day(r).isoformat(), r["channel"])
        for r in rows_of(october, "acme-l1", "contacts", "2026-10")
        if "BAD" not in r["contact_id"]
    )
    over_band = {
        key
        for key, forecast in forecasts.items()
        if key[1] in ("phone", "chat") and actual[key] > forecast * Decimal("1.10")
    }
    assert over_band == {
        ("2026-10-20", "phone"),
        ("2026-10-20", "chat"),
        ("2026-10-21", "phone"),
        ("2026-10-21", "chat"),
    }


def test_costs_are_the_outsourced_fee_and_the_in_house_team_costs(
    october: list[GeneratedFile],
) -> None:
    assert rows_of(october, "acme-l1", "costs", "2026-10") == [
        {
            "month": "2026-10",
            "channel": "all",
            "amount": "120000.00",
            "currency": "EUR",
            "kind": "fee",
        }
    ]
    inhouse = rows_of(october, "inhouse-l1", "costs", "2026-10")
    assert {r["kind"] for r in inhouse} == {"other"}
    assert sum(Decimal(r["amount"]) for r in inhouse) == Decimal("66600.00")


def test_generated_files_ingest_cleanly_except_the_five_planted_rows(
    october: list[GeneratedFile], sqlite_engine: Engine
) -> None:
    load_contracts(sqlite_engine, [CONTRACTS])
    reports = {
        (f.contract_id, f.kind, f.month): ingest_feed(sqlite_engine, f.contract_id, f.kind, f.path)
        for f in october
    }
    for key, report in reports.items():
        assert report.rows == report.stored + report.quarantined
        if key != ("acme-l1", "contacts", "2026-10"):
            assert report.quarantined == 0, (key, report.reasons)
    bad = reports[("acme-l1", "contacts", "2026-10")]
    assert bad.quarantined == BAD_ROWS
    assert bad.reasons == {
        "answered_before_arrival": 1,
        "timestamp_without_offset": 1,
        "duplicate_contact_id_in_file": 2,
        "csat_out_of_range": 1,
    }
