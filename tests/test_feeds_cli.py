"""`slaengine feed ingest` and `feed quarantine`: tables for people, SPEC's JSON for machines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from slaengine.cli import main
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n', encoding="utf-8")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    runner = CliRunner()
    loaded = runner.invoke(main, ["contract", "load", str(CONTRACTS / "acme-l1.yaml")])
    assert loaded.exit_code == 0, loaded.output
    return runner


def feed_file(tmp_path: Path) -> Path:
    rows = [contact("a"), contact("b", channel="fax"), contact("c", csat="6", nps="11")]
    return write_csv(tmp_path / "contacts.csv", rows)


def test_ingest_json_prints_exactly_the_spec_object(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["feed", "ingest", "acme-l1", "contacts", str(feed_file(tmp_path)), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "rows": 3,
        "stored": 1,
        "quarantined": 2,
        "reasons": {"bad_channel": 1, "csat_out_of_range": 1, "nps_out_of_range": 1},
        "unchanged": False,
        "file_id": 1,
    }
    again = runner.invoke(
        main, ["feed", "ingest", "acme-l1", "contacts", str(feed_file(tmp_path)), "--json"]
    )
    assert json.loads(again.stdout)["unchanged"] is True
    assert json.loads(again.stdout)["file_id"] == 1


def test_ingest_prints_a_table_and_where_to_see_bad_rows(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["feed", "ingest", "acme-l1", "contacts", str(feed_file(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output
    assert "bad_channel: 1" in result.output
    assert "slaengine feed quarantine acme-l1 --file 1" in result.output
    again = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(feed_file(tmp_path))])
    assert "unchanged: these bytes were already ingested as file 1" in again.output


def test_strict_ingest_fails_with_exit_1_and_stores_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = feed_file(tmp_path)
    result = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(path), "--strict"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}: 2 of 3 rows are invalid")
    listing = runner.invoke(main, ["feed", "quarantine", "acme-l1", "--json"])
    assert json.loads(listing.stdout) == []


def test_quarantine_lists_lines_reasons_and_raw_values(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(feed_file(tmp_path))])
    result = runner.invoke(main, ["feed", "quarantine", "acme-l1", "--json", "--file", "1"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["line"], r["reasons"]) for r in rows] == [
        (3, ["bad_channel"]),
        (4, ["csat_out_of_range", "nps_out_of_range"]),
    ]
    assert rows[0]["raw"]["channel"] == "fax"
    assert rows[0]["file"] == "contacts.csv"
    table = runner.invoke(main, ["feed", "quarantine", "acme-l1"])
    assert "csat_out_of_range" in table.output


def test_quarantine_of_a_clean_contract_says_so(runner: CliRunner) -> None:
    result = runner.invoke(main, ["feed", "quarantine", "acme-l1"])
    assert (result.exit_code, result.output) == (0, "no quarantined rows for acme-l1\n")


def test_user_mistakes_are_one_line_errors(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(missing)])
    assert (result.exit_code, result.stderr) == (1, f"error: {missing}: no such file\n")
    unknown = runner.invoke(main, ["feed", "ingest", "acme-l1", "calls", str(missing)])
    assert unknown.exit_code == 2
    assert "'calls' is not one of 'contacts', 'intervals', 'costs', 'forecasts'" in unknown.stderr
    nobody = runner.invoke(main, ["feed", "ingest", "nobody", "contacts", str(feed_file(tmp_path))])
    assert nobody.exit_code == 1
    assert nobody.stderr.startswith("error: no contract 'nobody' is stored")


BANK_EXPORT = """\
vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server
AA0101,1,0,0,PS,1999-08-02,9:00:00,9:00:10,10,9:00:10,9:00:30,20,AGENT,9:00:30,9:02:30,120,MICHAL
AA0101,2,0,0,PS,1999-08-02,9:05:00,9:05:10,10,9:05:10,9:05:50,40,HANG,0:00:00,0:00:00,0,NO_SERVER
AA0101,3,0,0,PS,1999-08-02,9:06:00,9:06:10,10,0:00:00,0:00:00,0,PHANTOM,0:00:00,0:00:00,0,NO_SERVER
"""


def test_ingest_with_a_mapping_reports_the_rows_it_drops_apart_from_the_quarantine(
    runner: CliRunner, tmp_path: Path
) -> None:
    from tests.conftest import ROOT

    loaded = runner.invoke(
        main, ["contract", "load", str(ROOT / "tests" / "data" / "anonymous-bank.yaml")]
    )
    assert loaded.exit_code == 0, loaded.output
    export = tmp_path / "bank.csv"
    export.write_text(BANK_EXPORT, encoding="utf-8")
    mapping = CONTRACTS / "mappings" / "anonymous-bank.toml"
    arguments = ["feed", "ingest", "anonymous-bank", "contacts", str(export), "--json"]
    result = runner.invoke(main, [*arguments, "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "rows": 3,
        "stored": 2,
        "quarantined": 0,
        "reasons": {},
        "unchanged": False,
        "file_id": 1,
        "dropped": 1,
        "dropped_reasons": {"mapping_drop:outcome_phantom": 1},
    }
    listing = runner.invoke(main, ["feed", "quarantine", "anonymous-bank", "--json"])
    assert json.loads(listing.stdout) == []
    export.write_text(BANK_EXPORT + BANK_EXPORT.splitlines()[3] + "\n", encoding="utf-8")
    table = runner.invoke(main, [*arguments[:-1], "--mapping", str(mapping)])
    assert "dropped by the mapping (not bad rows): 2 (mapping_drop:outcome_phantom: 2)" in (
        table.output.replace("\n", " ")
    )
