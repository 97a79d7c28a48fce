"""The real month of ../shared/data/anonymous-bank-1999-08 evaluated, checked by plain counting.

The first two tests map the calls onto contacts with this test's own code
(`contacts_from_csv`); the third ingests the file through the provider mapping
contracts/mappings/anonymous-bank.toml and evaluates it from storage. In both: PHANTOM
calls are ignored, as are calls hung up in the VRU before asking for an agent (not offered to
the agents); a contact arrives when it joins the agent queue (or leaves the VRU when an agent
was free at once), is answered or abandoned `q_time` seconds later, and is handled `ser_time`
seconds. The expected figures are counted directly on the CSV rows with the csv module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML
from sqlalchemy.engine import Engine

from slaengine.adapters.compute.tally import tally_objective
from slaengine.adapters.feeds.mapping import load_mapping
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.evaluate import evaluate
from slaengine.domain.evaluation.kpis import ContactRecord, tally_contacts
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import evaluate_period
from slaengine.services.feeds import ingest_feed
from tests.conftest import ROOT
from tests.test_tally import frame_of

JERUSALEM = ZoneInfo("Asia/Jerusalem")
AS_OF = datetime(1999, 9, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Call:
    outcome: str
    queued: bool
    q_time: int
    ser_time: int


def _seconds(clock: str) -> int:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def _rows(shared_data: Path) -> list[dict[str, str]]:
    path = shared_data / "anonymous-bank-1999-08" / "august1999_calls.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def contacts_from_csv(rows: list[dict[str, str]]) -> list[ContactRecord]:
    records = []
    for number, row in enumerate(rows):
        queued = row["q_start"] != "0:00:00"
        if row["outcome"] == "PHANTOM" or (row["outcome"] == "HANG" and not queued):
            continue
        clock = row["q_start"] if queued else row["vru_exit"]
        local = datetime.combine(date.fromisoformat(row["date"]), time(), JERUSALEM)
        arrived = (local.replace(tzinfo=None) + timedelta(seconds=_seconds(clock))).replace(
            tzinfo=JERUSALEM
        )
        ended = arrived + timedelta(seconds=int(row["q_time"]))
        served = row["outcome"] == "AGENT"
        records.append(
            ContactRecord(
                contact_id=str(number),
                channel="phone",
                arrived_at=arrived.astimezone(UTC),
                answered_at=ended.astimezone(UTC) if served else None,
                abandoned_at=None if served else ended.astimezone(UTC),
                handle_seconds=float(row["ser_time"]) if served else None,
            )
        )
    return records


@pytest.fixture(scope="module")
def bank() -> Contract:
    document = YAML(typ="safe").load((ROOT / "tests" / "data" / "anonymous-bank.yaml").read_text())
    return Contract.model_validate(document)


def test_the_bank_month_gives_the_figures_counted_on_the_raw_file(
    shared_data: Path, bank: Contract
) -> None:
    rows = [row for row in _rows(shared_data) if row["outcome"] != "PHANTOM"]
    served = [row for row in rows if row["outcome"] == "AGENT"]
    abandoned = [row for row in rows if row["outcome"] == "HANG" and row["q_start"] != "0:00:00"]
    offered = len(served) + len(abandoned)
    short = sum(1 for row in abandoned if int(row["q_time"]) <= 5)
    expected = {
        "phone-sl": Fraction(sum(1 for row in served if int(row["q_time"]) <= 20), offered),
        "phone-abandon": Fraction(len(abandoned) - short, offered - short),
        "phone-asa": Fraction(sum(int(row["q_time"]) for row in served), len(served)),
        "phone-aht": Fraction(sum(int(row["ser_time"]) for row in served), len(served)),
    }
    assert (len(served), offered) == (31_402, 38_711)

    records = contacts_from_csv(_rows(shared_data))
    daily = {
        objective.id: tally_contacts(objective, records, bank.zone, {}, as_of=AS_OF)
        for objective in bank.objectives
    }
    evaluation = evaluate(bank, "1999-08", daily, as_of=AS_OF)
    found = {result.objective_id: result for result in evaluation.objectives}
    for objective_id, value in expected.items():
        assert found[objective_id].value == float(value), objective_id
    assert found["phone-sl"].denominator == offered
    assert found["phone-abandon"].denominator == offered - short
    statuses = {key: result.status for key, result in found.items()}
    by_hand = {
        "phone-sl": "met" if expected["phone-sl"] >= Fraction(8, 10) else "breached",
        "phone-abandon": "met" if expected["phone-abandon"] <= Fraction(1, 10) else "breached",
        "phone-asa": "met" if expected["phone-asa"] <= 60 else "breached",
        "phone-aht": "met" if expected["phone-aht"] <= 240 else "breached",
    }
    assert statuses == by_hand
    owed = {
        "phone-sl": Decimal("5000.00"),
        "phone-abandon": Decimal("3000.00"),
        "phone-asa": Decimal("2000.00"),
        "phone-aht": Decimal("0.00"),
    }
    assert evaluation.credits.uncapped == sum(
        (owed[key] for key, status in statuses.items() if status == "breached"), Decimal("0")
    )


def test_the_fast_tally_agrees_with_the_reference_on_the_whole_month(
    shared_data: Path, bank: Contract
) -> None:
    records = contacts_from_csv(_rows(shared_data))
    frame = frame_of(records)
    for objective in bank.objectives:
        reference = tally_contacts(objective, records, bank.zone, {}, as_of=AS_OF)
        assert tally_objective(frame, objective, bank.zone, {}, as_of=AS_OF) == reference
        assert sorted(reference) == [date(1999, 8, day) for day in range(1, 32)]


def test_the_bank_month_ingested_with_its_mapping_and_evaluated_end_to_end(
    shared_data: Path, bank: Contract, sqlite_engine: Engine
) -> None:
    rows = [row for row in _rows(shared_data) if row["outcome"] != "PHANTOM"]
    served = [row for row in rows if row["outcome"] == "AGENT"]
    abandoned = [row for row in rows if row["outcome"] == "HANG" and row["q_start"] != "0:00:00"]
    offered = len(served) + len(abandoned)
    within = sum(1 for row in served if int(row["q_time"]) <= 20)
    short = sum(1 for row in abandoned if int(row["q_time"]) <= 5)
    load_contracts(sqlite_engine, [ROOT / "tests" / "data" / "anonymous-bank.yaml"])
    mapping = load_mapping(ROOT / "contracts" / "mappings" / "anonymous-bank.toml")
    source = shared_data / "anonymous-bank-1999-08" / "august1999_calls.csv"
    report = ingest_feed(sqlite_engine, "anonymous-bank", "contacts", source, mapping=mapping)
    assert report.stored == offered

    evaluation = evaluate_period(sqlite_engine, "anonymous-bank", "1999-08", as_of=AS_OF)
    found = {result.objective_id: result for result in evaluation.objectives}
    assert (found["phone-sl"].numerator, found["phone-sl"].denominator) == (within, offered)
    assert (found["phone-abandon"].numerator, found["phone-abandon"].denominator) == (
        len(abandoned) - short,
        offered - short,
    )
    assert found["phone-asa"].numerator == sum(int(row["q_time"]) for row in served)
    assert found["phone-aht"].numerator == sum(int(row["ser_time"]) for row in served)
    assert found["phone-asa"].denominator == found["phone-aht"].denominator == len(served)
    assert evaluation.input_hashes == (report.sha256,)
    assert evaluation.contract_version == 1
    # grouped a slice of stored rows at a time (memory bounded by the slice): the same month
    from slaengine.adapters.columnar import cache, read
    from slaengine.services.evaluation import evaluation_to_json

    with sqlite_engine.begin() as connection:
        connection.execute(cache.CACHE.delete())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(read, "SLICE_ROWS", offered // 7 + 1)
        sliced = evaluate_period(sqlite_engine, "anonymous-bank", "1999-08", as_of=AS_OF)
    assert evaluation_to_json(sliced) == evaluation_to_json(evaluation)
