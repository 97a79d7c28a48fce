"""Sourcing benchmarks (SPEC section 3): same definitions for every setup, mixed = the sum."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from slaengine.cli import main
from slaengine.cli.context import AppContext
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.benchmark import (
    BenchmarkResult,
    KpiFigure,
    SetupResult,
    benchmark_to_json,
    cost_per_contact,
    default_benchmark,
)
from slaengine.services.benchmark import SetupInput, compare_setups
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed


def test_the_default_definition_set_is_the_one_spec_section_3_names() -> None:
    spec = default_benchmark("l1-support")
    by_id = {objective.id: objective for objective in spec.objectives}
    assert list(by_id) == [
        "phone-sl", "chat-sl", "abandonment", "asa", "aht", "email-24h", "fcr", "csat", "nps",
    ]  # fmt: skip
    for channel in ("phone", "chat"):
        sl = by_id[f"{channel}-sl"]
        assert (sl.kpi, sl.channels, sl.denominator) == (
            "service_level",
            (channel,),
            "offered_excluding_short_abandons",
        )
        assert sl.threshold is not None and sl.threshold.seconds == 20
        assert sl.short_abandon is not None and sl.short_abandon.seconds == 5
        assert sl.calendar is None and sl.target is None
    assert by_id["abandonment"].short_abandon is not None
    assert by_id["abandonment"].short_abandon.seconds == 5
    email = by_id["email-24h"]
    assert (email.kpi, email.effective_clock, email.calendar) == (
        "response_within",
        "calendar",
        None,
    )
    assert email.threshold is not None and email.threshold.seconds == 24 * 3600
    assert by_id["csat"].effective_satisfied_from == 4
    assert spec.timezone is None and spec.calendars == {}


def test_cost_per_contact_is_decimal_rounded_half_up_to_cents() -> None:
    assert cost_per_contact(Decimal("1000.00"), 3) == Decimal("333.33")
    assert cost_per_contact(Decimal("0.05"), 2) == Decimal("0.03")
    assert cost_per_contact(Decimal("100"), 0) is None
    assert cost_per_contact(None, 10) is None


def _setup(name: str, sourcing: str, contacts: int, cost: Decimal | None) -> SetupResult:
    return SetupResult(
        name=name,
        sourcing=sourcing,  # type: ignore[arg-type]
        contracts=(name,) if sourcing != "mixed" else ("a", "b"),
        contacts=contacts,
        channel_mix={"phone": contacts},
        kpis={
            "phone-sl": KpiFigure(0.123456, 10, 81, "service_level"),
            "asa": KpiFigure(12.505, Decimal("50.02"), 4, "average_speed_of_answer"),
        },
        cost_per_contact=cost,
        answered=4,
        cost=None,
        currency="EUR",
    )


def test_the_json_has_exactly_spec_section_3s_keys_plus_channel_mix() -> None:
    result = BenchmarkResult(
        activity="l1-support",
        period="2026-10",
        setups=(
            _setup("a", "in-house", 5, Decimal("12.5")),
            _setup("mixed", "mixed", 5, None),
        ),
    )
    document = json.loads(json.dumps(benchmark_to_json(result)))
    assert list(document) == ["activity", "period", "setups"]
    assert (document["activity"], document["period"]) == ("l1-support", "2026-10")
    first = document["setups"][0]
    assert set(first) >= {"name", "sourcing", "contracts", "contacts", "kpis", "cost_per_contact"}
    assert set(first) - {
        "name",
        "sourcing",
        "contracts",
        "contacts",
        "kpis",
        "cost_per_contact",
    } == {
        "channel_mix",
        "answered",
        "currency",
    }
    assert first["name"] == "a"
    assert first["sourcing"] == "in-house"
    assert first["contracts"] == ["a"]
    assert first["contacts"] == 5
    assert first["kpis"]["phone-sl"] == {"value": 0.1235, "numerator": 10, "denominator": 81}
    assert first["kpis"]["asa"] == {"value": 12.51, "numerator": 50.02, "denominator": 4}
    assert first["cost_per_contact"] == "12.50"
    assert first["channel_mix"] == {"phone": 5}
    assert document["setups"][1]["cost_per_contact"] is None
    assert document["setups"][1]["sourcing"] == "mixed"


def test_benchmark_and_demo_have_help() -> None:
    for command in (["benchmark", "--help"], ["demo", "--help"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output
    assert "--period" in CliRunner().invoke(main, ["benchmark", "--help"]).output
    assert "--months" in CliRunner().invoke(main, ["demo", "--help"]).output


def test_a_malformed_period_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["benchmark", "l1-support", "--period", "2026-13"])
    assert result.exit_code == 2
    assert "expected a month as YYYY-MM" in result.output


def test_an_as_of_without_offset_is_a_usage_error() -> None:
    args = ["benchmark", "l1-support", "--period", "2026-10", "--as-of", "2026-11-02T08:00:00"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "has no UTC offset" in result.output


# --- hand-worked: an in-house team and one provider of the same activity -------------------

AS_OF = datetime.fromisoformat("2026-11-02T08:00:00+01:00")
STAMP = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class CostRow:
    amount: Decimal
    currency: str = "EUR"


def contract(contract_id: str, sourcing: str) -> Contract:
    return Contract.model_validate(
        {
            "apiVersion": "slaengine/v1",
            "kind": "Contract",
            "id": contract_id,
            "version": 1,
            "title": contract_id,
            "provider": {"id": contract_id, "name": contract_id, "sourcing": sourcing},
            "activity": "l1",
            "effective": {"from": "2026-01-01"},
            "timezone": "Europe/Paris",
            "currency": "EUR",
            # its own definition (60 s over answered) must not matter to the benchmark
            "objectives": [
                {
                    "id": "phone-sl",
                    "channel": "phone",
                    "kpi": "service_level",
                    "threshold": "60s",
                    "denominator": "answered",
                    "target": ">= 50%",
                }
            ],
        }
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def contact(
    channel: str,
    arrived: str,
    *,
    ans: int | None = None,
    gone: int | None = None,
    handle: float | None = None,
    fcr: bool | None = None,
    csat: int | None = None,
    nps: int | None = None,
) -> dict[str, object]:
    start = at(arrived)
    return {
        "channel": channel,
        "arrived_at": start,
        "answered_at": start + timedelta(seconds=ans) if ans is not None else None,
        "abandoned_at": start + timedelta(seconds=gone) if gone is not None else None,
        "handle_seconds": handle,
        "resolved_first_contact": fcr,
        "csat": csat,
        "nps": nps,
    }


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    data = [{"contact_id": f"c{n}", "queue": "default", **row} for n, row in enumerate(rows)]
    return pl.DataFrame(
        data,
        schema={
            "contact_id": pl.String,
            "queue": pl.String,
            "channel": pl.String,
            "arrived_at": STAMP,
            "answered_at": STAMP,
            "abandoned_at": STAMP,
            "handle_seconds": pl.Float64,
            "resolved_first_contact": pl.Boolean,
            "csat": pl.Int64,
            "nps": pl.Int64,
        },
    )


TEAM = frame(
    [
        contact("phone", "2026-10-05T10:00:00+02:00", ans=10, handle=100, fcr=True, csat=5, nps=10),
        contact("phone", "2026-10-05T10:01:00+02:00", ans=20, handle=200, fcr=False, csat=3, nps=6),
        contact("phone", "2026-10-05T10:02:00+02:00", gone=3),
        contact("phone", "2026-10-05T10:03:00+02:00", gone=30),
        contact("phone", "2026-10-05T10:04:00+02:00", ans=40, handle=300),
        contact("email", "2026-10-05T09:00:00+02:00", ans=24 * 3600 - 60, handle=60, csat=4),
        contact("email", "2026-10-05T10:00:00+02:00", ans=25 * 3600, handle=60),
        contact("email", "2026-10-31T20:00:00+01:00"),  # never answered: missed once due
        contact("phone", "2026-09-30T23:00:00+02:00", ans=1, handle=50),  # September
    ]
)  # fmt: skip
BPO = frame(
    [
        contact("phone", "2026-10-06T11:00:00+02:00", ans=5, handle=120, fcr=True, csat=4, nps=9),
        contact("phone", "2026-10-06T11:01:00+02:00", ans=25, handle=180, fcr=True),
        contact("phone", "2026-10-06T11:02:00+02:00", gone=5),  # short (5 s)
        contact("chat", "2026-10-06T11:03:00+02:00", ans=15, handle=400, csat=2, nps=0),
        contact("chat", "2026-10-06T11:04:00+02:00", gone=60),
    ]
)  # fmt: skip


def hand_worked(bpo_currency: str = "EUR") -> BenchmarkResult:
    return compare_setups(
        "l1",
        "2026-10",
        [
            SetupInput(
                contract("bpo", "outsourced"), BPO, [CostRow(Decimal("930.00"), bpo_currency)]
            ),
            SetupInput(
                contract("team", "in-house"),
                TEAM,
                [CostRow(Decimal("1000.00")), CostRow(Decimal("500.00"))],
            ),
        ],
        as_of=AS_OF,
    )


def figures(setup: SetupResult) -> dict[str, tuple[object, object]]:
    return {key: (figure.numerator, figure.denominator) for key, figure in setup.kpis.items()}


def test_setups_are_in_house_then_outsourced_then_mixed() -> None:
    result = hand_worked()
    assert [(s.name, s.sourcing, s.contracts) for s in result.setups] == [
        ("team", "in-house", ("team",)),
        ("bpo", "outsourced", ("bpo",)),
        ("mixed", "mixed", ("team", "bpo")),
    ]


def test_the_in_house_team_on_the_benchmark_definitions() -> None:
    team = hand_worked().setups[0]
    assert (team.contacts, team.answered) == (8, 5)
    assert team.channel_mix == {"phone": 5, "email": 3}
    assert figures(team) == {
        "phone-sl": (2, 4),  # within 20 s (equality counts) over offered minus one short abandon
        "chat-sl": (0, 0),
        "abandonment": (1, 4),
        "asa": (Decimal(70), 3),
        "aht": (Decimal(600), 3),
        "email-24h": (1, 3),  # 23h59 in time, 25 h late, the unanswered one is due and missed
        "fcr": (1, 2),
        "csat": (2, 3),
        "nps": (0, 2),
    }
    assert team.kpis["phone-sl"].value == 0.5
    assert team.kpis["chat-sl"].value is None
    assert team.kpis["asa"].value == pytest.approx(70 / 3)
    assert team.kpis["nps"].value == 0.0
    assert team.cost == Decimal("1500.00")
    assert team.cost_per_contact == Decimal("300.00")


def test_the_provider_on_the_same_definitions() -> None:
    bpo = hand_worked().setups[1]
    assert (bpo.contacts, bpo.answered) == (5, 3)
    assert bpo.channel_mix == {"phone": 3, "chat": 2}
    assert figures(bpo) == {
        "phone-sl": (1, 2),
        "chat-sl": (1, 2),
        "abandonment": (1, 4),
        "asa": (Decimal(45), 3),
        "aht": (Decimal(700), 3),
        "email-24h": (0, 0),
        "fcr": (2, 2),
        "csat": (1, 2),
        "nps": (0, 2),
    }
    assert bpo.cost_per_contact == Decimal("310.00")


def test_mixed_counts_are_the_sums_of_the_parts_not_an_average_of_ratios() -> None:
    team, bpo, mixed = hand_worked().setups
    assert mixed.contacts == team.contacts + bpo.contacts == 13
    assert mixed.answered == 8
    assert mixed.channel_mix == {"phone": 8, "chat": 2, "email": 3}
    for key, figure in mixed.kpis.items():
        assert figure.numerator == team.kpis[key].numerator + bpo.kpis[key].numerator  # type: ignore[operator]
        assert figure.denominator == team.kpis[key].denominator + bpo.kpis[key].denominator  # type: ignore[operator]
    assert mixed.kpis["phone-sl"].value == 0.5
    assert mixed.kpis["abandonment"].value == 0.25
    assert mixed.kpis["fcr"].value == 0.75
    assert mixed.cost == Decimal("2430.00")
    assert mixed.cost_per_contact == Decimal("303.75")  # 2430.00 / 8 answered


def test_costs_in_different_currencies_give_no_mixed_cost_and_say_why() -> None:
    result = hand_worked(bpo_currency="USD")
    team, bpo, mixed = result.setups
    assert (bpo.cost_per_contact, bpo.currency) == (Decimal("310.00"), "USD")
    assert team.cost_per_contact == Decimal("300.00")
    assert mixed.cost_per_contact is None
    assert "mixed: setups are paid in different currencies" in result.notes


def test_the_json_of_a_real_run_keeps_counts_exact() -> None:
    document = benchmark_to_json(hand_worked())
    mixed = document["setups"][2]
    assert mixed["kpis"]["asa"] == {"value": 19.17, "numerator": 115.0, "denominator": 6}
    assert mixed["kpis"]["email-24h"] == {"value": 0.3333, "numerator": 1, "denominator": 3}
    assert mixed["cost_per_contact"] == "303.75"
    assert mixed["contracts"] == ["team", "bpo"]


# --- the same hand-worked data through storage and the command line ------------------------

CONTRACT_YAML = """apiVersion: slaengine/v1
kind: Contract
id: {id}
version: 1
title: {id}
provider: {{id: {id}, name: {id}, sourcing: {sourcing}}}
activity: l1
effective: {{from: 2026-01-01}}
timezone: Europe/Paris
currency: EUR
objectives:
  - id: phone-sl
    channel: phone
    kpi: service_level
    threshold: 60s
    denominator: answered
    target: ">= 50%"
"""
COLUMNS = (
    "contact_id", "channel", "queue", "arrived_at", "answered_at", "abandoned_at",
    "handle_seconds", "resolved_first_contact", "csat", "nps",
)  # fmt: skip


def contacts_csv(data: pl.DataFrame, prefix: str) -> str:
    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    lines = [",".join(COLUMNS)]
    for row in data.iter_rows(named=True):
        row["contact_id"] = f"{prefix}-{row['contact_id']}"
        lines.append(",".join(cell(row[column]) for column in COLUMNS))
    return "\n".join(lines) + "\n"


def test_benchmark_json_from_stored_feeds_matches_the_hand_worked_figures(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    costs = {
        "team": "all,500.00,EUR,other\n2026-10,phone,1000.00,EUR,other",
        "bpo": "all,930.00,EUR,fee",
    }
    for contract_id, sourcing, data in (("team", "in-house", TEAM), ("bpo", "outsourced", BPO)):
        (folder / f"{contract_id}.yaml").write_text(
            CONTRACT_YAML.format(id=contract_id, sourcing=sourcing), encoding="utf-8"
        )
        (tmp_path / f"{contract_id}.csv").write_text(
            contacts_csv(data, contract_id), encoding="utf-8"
        )
        (tmp_path / f"{contract_id}-costs.csv").write_text(
            f"month,channel,amount,currency,kind\n2026-10,{costs[contract_id]}\n",
            encoding="utf-8",
        )
    load_contracts(engine, [folder])
    for contract_id in ("team", "bpo"):
        for kind, name in (
            ("contacts", f"{contract_id}.csv"),
            ("costs", f"{contract_id}-costs.csv"),
        ):
            assert ingest_feed(engine, contract_id, kind, tmp_path / name).quarantined == 0
    # the command uses this test's engine (disposed by its fixture, no connection left open)
    monkeypatch.setattr(AppContext, "engine", property(lambda _self: engine))
    monkeypatch.setenv("SLAENGINE_CONTRACTS_DIR", str(folder))
    args = ["benchmark", "l1", "--period", "2026-10", "--as-of", AS_OF.isoformat(), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    expected = json.loads(json.dumps(benchmark_to_json(hand_worked())))
    assert document == expected

    # contracts/benchmark.yaml for the activity replaces the default definition set
    (folder / "benchmark.yaml").write_text(
        "apiVersion: slaengine/v1\nkind: Benchmark\nactivity: l1\nobjectives:\n"
        "  - {id: phone-60s, channel: phone, kpi: service_level, threshold: 60s,"
        " denominator: answered}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    setups = json.loads(result.stdout)["setups"]
    assert [s["kpis"] for s in setups] == [
        {"phone-60s": {"value": 1.0, "numerator": 3, "denominator": 3}},
        {"phone-60s": {"value": 1.0, "numerator": 2, "denominator": 2}},
        {"phone-60s": {"value": 1.0, "numerator": 5, "denominator": 5}},
    ]


def test_benchmark_of_an_activity_without_contracts_is_a_clear_error(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}")
    result = CliRunner().invoke(main, ["benchmark", "nothing-here", "--period", "2026-10"])
    assert result.exit_code == 1
    assert "no contract of activity 'nothing-here' is in force in 2026-10" in result.output
