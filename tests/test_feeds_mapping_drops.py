"""Rows a mapping drops on purpose are not bad rows: counted apart, with stable codes."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from slaengine.adapters.feeds.mapping import FeedMapping, apply_mapping, load_mapping
from slaengine.adapters.storage import feed_repo
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed, quarantined_rows
from tests.conftest import CONTRACTS, ROOT

BANK_MAPPING = CONTRACTS / "mappings" / "anonymous-bank.toml"
BANK_FILE = Path("anonymous-bank-1999-08") / "august1999_calls.csv"
PHANTOM = "mapping_drop:outcome_phantom"
NOT_QUEUED = "mapping_drop:not_queued_left_in_the_ivr"
HEADER = (
    "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,"
    "q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server\n"
)
CALL = "AA0101,{n},0,0,PS,1999-08-02,"  # vru+line, call_id, customer, priority, type, date
AGENT = CALL + "9:00:00,9:00:10,10,9:00:10,9:00:30,20,AGENT,9:00:30,9:02:30,120,M\n"
HANG = CALL + "9:05:00,9:05:10,10,9:05:10,9:05:50,40,HANG,0:00:00,0:00:00,0,N\n"
IVR = CALL + "9:06:00,9:06:10,10,0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,N\n"
GHOST = CALL + "9:06:00,9:06:10,10,0:00:00,0:00:00,0,PHANTOM,0:00:00,0:00:00,0,N\n"
ODD = CALL + "9:07:00,9:07:10,10,9:07:10,9:07:20,10,WHO,0:00:00,0:00:00,0,N\n"


def export(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "bank.csv"
    path.write_text(HEADER + "".join(line.format(n=n) for n, line in enumerate(lines, 1)))
    return path


def small(**overrides: object) -> FeedMapping:
    base: dict[str, object] = {
        "zone": "Europe/Paris",
        "contact_id": "{id}",
        "date_column": "day",
        "constants": {"channel": "phone"},
        "timestamps": {"arrived_at": {"time": "start"}},
    }
    return FeedMapping.model_validate(base | overrides)


def frame(**columns: list[str]) -> pl.DataFrame:
    height = len(next(iter(columns.values())))
    data = pl.DataFrame({name: pl.Series(v, dtype=pl.String) for name, v in columns.items()})
    return data.with_columns(_line=pl.int_range(2, height + 2, dtype=pl.Int64))


def test_each_drop_rule_gives_its_stable_code_and_bad_rows_get_none() -> None:
    rules = [
        {"where": {"team": "test"}, "reason": "Test calls (QA team)!"},
        {"where": {"team": "bot"}, "reason": "robot", "code": "robots"},
    ]
    result = apply_mapping(
        frame(
            id=["a", "b", "c", "d", "e", ""],
            day=["2026-03-29"] * 6,
            start=["9:00:00", "9:00:00", "9:00:00", "2:30:00", "9:00:00", "9:00:00"],
            team=["sales", "test", "bot", "sales", "test", "sales"],
            code=["OK", "OK", "OK", "OK", "GHOST", "OK"],
        ),
        small(
            drop=rules,
            nonexistent="drop",
            outcome={"column": "code", "answered": ["OK"], "drop": {"GHOST": "ghost call"}},
        ),
    )
    assert result.frame["contact_id"].to_list() == ["a"]
    assert [(r.line, r.drop_code) for r in result.dropped] == [
        (3, "mapping_drop:test_calls_qa_team"),
        (4, "mapping_drop:robots"),
        (5, "mapping_drop:nonexistent_local_time"),  # 02:30 on 29 March 2026 in Paris
        (6, "mapping_drop:test_calls_qa_team"),  # the first drop rule wins over the outcome
        (7, None),  # an empty id column: a bad row for the quarantine
    ]


def test_a_drop_code_is_lower_case_words() -> None:
    with pytest.raises(ValidationError, match=r"drop\.0\.code"):
        small(drop=[{"where": {"team": "x"}, "reason": "r", "code": "Not Valid"}])


@pytest.fixture
def bank(engine: Engine) -> Engine:
    load_contracts(engine, [ROOT / "tests" / "data" / "anonymous-bank.yaml"])
    return engine


def test_dropped_rows_are_counted_apart_from_the_quarantine(bank: Engine, tmp_path: Path) -> None:
    path = export(tmp_path, AGENT, GHOST, HANG, IVR, ODD, GHOST)
    mapping = load_mapping(BANK_MAPPING)
    report = ingest_feed(bank, "anonymous-bank", "contacts", path, mapping=mapping)
    assert (report.rows, report.stored, report.quarantined, report.dropped) == (6, 2, 1, 3)
    assert report.dropped_reasons == {NOT_QUEUED: 1, PHANTOM: 2}
    assert list(report.reasons) == [
        "outcome code 'WHO' is not in the mapping (outcome.column outcome)"
    ]
    assert report.to_json()["dropped_reasons"] == {NOT_QUEUED: 1, PHANTOM: 2}
    assert [(r.line, r.raw["outcome"]) for r in quarantined_rows(bank, "anonymous-bank")] == [
        (6, "WHO")
    ]
    again = ingest_feed(bank, "anonymous-bank", "contacts", path, mapping=mapping)
    assert again.unchanged
    assert (again.rows, again.stored, again.quarantined, again.dropped) == (6, 2, 1, 3)
    assert (again.reasons, again.dropped_reasons) == (report.reasons, report.dropped_reasons)


def test_strict_ingest_accepts_a_file_whose_only_left_out_rows_are_drops(
    bank: Engine, tmp_path: Path
) -> None:
    path = export(tmp_path, AGENT, GHOST, IVR)
    mapping = load_mapping(BANK_MAPPING)
    report = ingest_feed(bank, "anonymous-bank", "contacts", path, mapping=mapping, strict=True)
    assert (report.rows, report.stored, report.quarantined, report.dropped) == (3, 1, 0, 2)
    (record,) = feed_repo.feed_files(bank, "anonymous-bank")
    assert (record.status, record.rows, record.stored, record.quarantined) == ("stored", 3, 1, 0)


def test_the_bank_month_drops_phantom_and_ivr_calls_with_their_codes(
    sqlite_engine: Engine, shared_data: Path
) -> None:
    with (shared_data / BANK_FILE).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    phantom = sum(r["outcome"] == "PHANTOM" for r in rows)
    ivr = sum(r["outcome"] == "HANG" and r["q_start"] == "0:00:00" for r in rows)
    assert (len(rows), phantom, ivr) == (42_078, 310, 3_057)
    load_contracts(sqlite_engine, [ROOT / "tests" / "data" / "anonymous-bank.yaml"])
    report = ingest_feed(
        sqlite_engine,
        "anonymous-bank",
        "contacts",
        shared_data / BANK_FILE,
        mapping=load_mapping(BANK_MAPPING),
    )
    assert Counter(report.dropped_reasons) == Counter({PHANTOM: phantom, NOT_QUEUED: ivr})
    assert report.rows == report.stored + report.quarantined + report.dropped == len(rows)
    assert (report.stored, report.quarantined, report.dropped) == (38_711, 0, 3_367)
