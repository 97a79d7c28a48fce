"""End to end: contracts loaded, feeds ingested, `slaengine evaluate` on every storage backend.

Contracts and feeds go in through the command line (SPEC section 4), so these tests hold the
whole chain: the version in force per month, exclusions, early warning, stored results and
restatements, provider-reported figures, the JSON and the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.evaluation_repo import latest_evaluation, restatement_history
from slaengine.cli import main
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import evaluate_period, evaluation_to_json
from slaengine.services.feeds import ingest_feed

CONTRACT = """\
apiVersion: slaengine/v1
kind: Contract
id: shop
version: {version}
title: Shop support
provider: {{id: callco, name: CallCo, sourcing: outsourced}}
activity: shop-support
effective: {{from: {start}{end}}}
timezone: Europe/Paris
currency: EUR
objectives:
  - id: phone-sl
    channel: phone
    kpi: service_level
    threshold: 20s
    target: "{target}"
    level: critical
  - id: email-24h
    channel: email
    kpi: response_within
    threshold: 24h
    target: ">= 50%"
    level: key
  - id: cost
    kpi: cost_per_contact
    target: "<= 10"
    level: key
credits:
  monthly_fee: 1000.00
  at_risk: 10%
  allocation: {{phone-sl: 50%}}
exclusions:
  volume_band: {{over_forecast: 10%}}
"""

HEADER = (
    "contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds,"
    "resolved_first_contact,csat,nps\n"
)


def calls(prefix: str, day: str, within: int, late: int) -> str:
    """`within` calls answered in 20 s and `late` in 21 s, at 10:00 Paris on `day`."""
    rows = []
    for number in range(within + late):
        wait = 20 if number < within else 21
        rows.append(
            f"{prefix}{number},phone,default,{day}T10:00:00+01:00,{day}T10:00:{wait}+01:00,,60,,,\n"
        )
    return "".join(rows)


class Shop:
    """The service layer on one database: load contracts, ingest feeds, evaluate."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine, self.folder = engine, folder

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def load_two_versions(self) -> None:
        first = CONTRACT.format(
            version=1, start="2026-01-01", end=", to: 2026-01-31", target=">= 80%"
        )
        second = CONTRACT.format(version=2, start="2026-02-01", end="", target=">= 90%")
        load_contracts(self.engine, [self.write("v1.yaml", first), self.write("v2.yaml", second)])

    def ingest(self, kind: str, name: str, text: str) -> None:
        report = ingest_feed(self.engine, "shop", kind, self.write(name, text))
        assert report.quarantined == 0, report.to_json()

    def evaluated(self, period: str, as_of: str) -> dict[str, Any]:
        instant = datetime.fromisoformat(as_of)
        return evaluation_to_json(evaluate_period(self.engine, "shop", period, as_of=instant))


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Shop:
    return Shop(engine, tmp_path)


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in document["objectives"]}


def test_each_month_is_evaluated_with_the_contract_version_in_force(
    shop: Shop, engine: Engine
) -> None:
    shop.load_two_versions()
    contacts = calls("j", "2026-01-15", 17, 3) + calls("f", "2026-02-16", 17, 3)
    shop.ingest("contacts", "contacts.csv", HEADER + contacts)
    january = shop.evaluated("2026-01", "2026-03-01T00:00:00+00:00")
    february = shop.evaluated("2026-02", "2026-03-01T00:00:00+00:00")
    assert (january["contract_version"], february["contract_version"]) == (1, 2)
    jan, feb = by_id(january)["phone-sl"], by_id(february)["phone-sl"]
    assert (jan["status"], jan["numerator"], jan["denominator"], jan["value"]) == (
        "met",
        17,
        20,
        0.85,
    )
    assert (feb["status"], feb["target"], feb["credit"]) == ("breached", 0.9, "50.00")
    assert february["credits"] == february["credits"] | {
        "currency": "EUR",
        "at_risk": "100.00",
        "total": "50.00",
    }
    stored = latest_evaluation(engine, "shop", "2026-02")
    assert stored is not None and stored.contract_version == 2


def test_evaluating_again_with_the_same_inputs_stores_nothing_new_and_a_late_feed_restates(
    shop: Shop, engine: Engine
) -> None:
    shop.load_two_versions()
    shop.ingest("contacts", "a.csv", HEADER + calls("j", "2026-01-15", 15, 5))
    first = shop.evaluated("2026-01", "2026-02-02T07:00:00+00:00")
    again = shop.evaluated("2026-01", "2026-02-03T07:00:00+00:00")
    assert by_id(first)["phone-sl"]["status"] == "breached"
    assert again == first
    assert len(restatement_history(engine, "shop", "2026-01")) == 1
    shop.ingest("contacts", "late.csv", HEADER + calls("late", "2026-01-20", 20, 0))
    restated = shop.evaluated("2026-01", "2026-02-10T07:00:00+00:00")
    assert restated["restated"] is True
    assert by_id(restated)["phone-sl"]["status"] == "met"
    history = restatement_history(engine, "shop", "2026-01")
    assert [(item.restated, item.objectives[0].status) for item in history] == [
        (False, "breached"),
        (True, "met"),
    ]


def test_month_to_date_counts_what_had_arrived_and_flags_objectives_at_risk(shop: Shop) -> None:
    shop.load_two_versions()
    later = calls("g", "2026-02-20", 80, 0)  # arrives after as_of: not counted yet
    shop.ingest("contacts", "c.csv", HEADER + calls("f", "2026-02-02", 10, 10) + later)
    document = shop.evaluated("2026-02", "2026-02-10T12:00:00+01:00")
    assert document["month_to_date"] is True
    assert document["at_risk"] == ["phone-sl"]
    assert by_id(document)["phone-sl"]["at_risk_reason"].startswith(
        "misses its target: 50.0% so far against >= 90%"
    )


def test_the_volume_band_excludes_a_day_and_says_why(shop: Shop) -> None:
    shop.load_two_versions()
    contacts = calls("a", "2026-02-02", 9, 1) + calls("b", "2026-02-03", 1, 11)
    shop.ingest("contacts", "c.csv", HEADER + contacts)
    forecasts = "date,channel,contacts\n2026-02-02,phone,10\n2026-02-03,phone,10\n"
    shop.ingest("forecasts", "f.csv", forecasts)
    document = shop.evaluated("2026-02", "2026-03-02T00:00:00+00:00")
    assert [
        (day["day"], day["contacts"], day["forecast"]) for day in document["excluded_days"]
    ] == [("2026-02-03", 12, 10)]
    sl = by_id(document)["phone-sl"]
    assert (sl["status"], sl["numerator"], sl["denominator"], sl["excluded_contacts"]) == (
        "met",
        9,
        10,
        12,
    )


def test_email_response_pending_at_as_of_and_cost_per_contact(shop: Shop) -> None:
    shop.load_two_versions()
    emails = (
        "e1,email,default,2026-02-27T09:00:00+01:00,2026-02-27T10:00:00+01:00,,60,,,\n"
        "e2,email,default,2026-02-27T09:00:00+01:00,,,,,,\n"
        "e3,email,default,2026-02-28T20:00:00+01:00,,,,,,\n"
    )
    shop.ingest("contacts", "c.csv", HEADER + calls("p", "2026-02-02", 3, 0) + emails)
    costs = "month,channel,amount,currency,kind\n2026-02,all,20.00,EUR,fee\n"
    shop.ingest("costs", "k.csv", costs)
    document = shop.evaluated("2026-02", "2026-03-01T12:00:00+01:00")
    email = by_id(document)["email-24h"]
    assert (email["numerator"], email["denominator"], email["pending_contacts"]) == (1, 2, 1)
    cost = by_id(document)["cost"]
    assert (cost["value"], cost["numerator"], cost["denominator"]) == ("5.00", "20.00", 4)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The command line on a SQLite file (the CLI's own engine is never disposed)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n', encoding="utf-8")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    monkeypatch.delenv("SLAENGINE_DATABASE_URL", raising=False)
    runner = CliRunner()

    def run(*arguments: str) -> Result:
        return runner.invoke(main, list(arguments))

    shop = Shop(make_engine(f"sqlite:///{tmp_path / 'cli.db'}"), tmp_path)
    create_schema(shop.engine)
    yield run, shop
    shop.engine.dispose()


def test_the_default_output_is_a_table_with_the_credits_line(cli: Any) -> None:
    run, shop = cli
    shop.load_two_versions()
    shop.ingest("contacts", "c.csv", HEADER + calls("f", "2026-02-02", 10, 10))
    result = run("evaluate", "shop", "--period", "2026-02", "--as-of", "2026-03-05T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert "phone-sl" in result.output and "breached" in result.output
    assert "credits: 50.00 EUR of 100.00 at risk" in result.output


def test_the_json_output_is_the_spec_object(cli: Any) -> None:
    run, shop = cli
    shop.load_two_versions()
    shop.ingest("contacts", "c.csv", HEADER + calls("f", "2026-02-02", 10, 10))
    result = run(
        "evaluate", "shop", "--period", "2026-02", "--as-of", "2026-03-05T00:00:00Z", "--json"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document)[:5] == ["contract", "contract_version", "period", "objectives", "credits"]
    assert by_id(document)["phone-sl"]["value"] == 0.5


def test_an_unknown_contract_or_a_month_outside_every_version_is_an_error(cli: Any) -> None:
    run, shop = cli
    shop.load_two_versions()
    for arguments in (("nobody", "--period", "2026-02"), ("shop", "--period", "2025-06")):
        result = run("evaluate", *arguments, "--as-of", "2026-07-01T00:00:00Z")
        assert result.exit_code == 1
        assert result.output.startswith("error: ")


INTERVALS = (
    "interval_start,interval_minutes,channel,queue,offered,answered,abandoned,abandoned_short,"
    "answered_within_threshold,threshold_seconds,short_abandon_seconds,wait_seconds_answered,"
    "handle_seconds\n"
)


def test_intervals_beside_contacts_give_the_provider_figure_flagged_when_it_differs(
    shop: Shop,
) -> None:
    shop.load_two_versions()
    shop.ingest("contacts", "c.csv", HEADER + calls("f", "2026-02-02", 17, 3))
    claim = "2026-02-02T09:00:00+00:00,30,phone,default,20,20,0,0,19,20,5,400,1200\n"
    shop.ingest("intervals", "i.csv", INTERVALS + claim)
    sl = by_id(shop.evaluated("2026-02", "2026-03-02T00:00:00+00:00"))["phone-sl"]
    assert (sl["value"], sl["provider_reported_value"], sl["provider_differs"]) == (
        0.85,
        0.95,
        True,
    )


def test_intervals_alone_are_evaluated_and_a_missing_threshold_is_not_determined(
    shop: Shop,
) -> None:
    shop.load_two_versions()
    rows = "2026-02-02T09:00:00+00:00,30,phone,default,20,20,0,0,19,30,5,400,1200\n"
    shop.ingest("intervals", "i.csv", INTERVALS + rows)
    document = shop.evaluated("2026-02", "2026-03-02T00:00:00+00:00")
    sl = by_id(document)["phone-sl"]
    assert (sl["status"], sl["value"]) == ("not_determined", None)
    assert sl["reason"] == "the intervals feed counts answers within 30s, the objective needs 20s"
    cost = by_id(document)["cost"]
    assert cost["reason"] == "no costs for the month"

