"""`slaengine contract ...` through the real entry point: help, check, schema, load, list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from slaengine.cli import main
from tests.conftest import CONTRACTS, ROOT


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite database for the command line, with the shipped config.toml."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(ROOT / "config.toml"))
    monkeypatch.setenv("SLAENGINE_CONTRACTS_DIR", str(CONTRACTS))
    return path


@pytest.mark.parametrize(
    ("command", "phrase"),
    [
        ([], "Check, load and list contract specifications"),
        (["check"], "problems on stderr as FILE:LINE:COL"),
        (["schema"], "Print the JSON Schema of a contract"),
        (["load"], "Loading an identical file again changes nothing"),
        (["list"], "List the stored contract versions"),
    ],
)
def test_every_contract_command_has_help(command: list[str], phrase: str) -> None:
    result = CliRunner().invoke(main, ["contract", *command, "--help"])
    assert result.exit_code == 0
    assert phrase in result.output


def test_check_prints_a_summary_when_all_is_well() -> None:
    result = CliRunner().invoke(main, ["contract", "check", str(CONTRACTS)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == (
        "3 file(s) checked: 3 contract(s), 0 benchmark(s), no problems"
    )


def test_check_needs_a_path() -> None:
    result = CliRunner().invoke(main, ["contract", "check"])
    assert result.exit_code == 2
    assert "Missing argument 'PATHS...'" in result.stderr


def test_check_reports_every_file_and_counts_the_problems(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: slaengine/v1\nkind: [Contract\n")
    (tmp_path / "b.yaml").write_text("")
    result = CliRunner().invoke(main, ["contract", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'a.yaml'}:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'",
        f"{tmp_path / 'b.yaml'}:1:1: the file is empty: expected a contract mapping",
        "2 problem(s) in 2 file(s)",
    ]


def test_schema_writes_the_file_given_with_output(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    result = CliRunner().invoke(main, ["contract", "schema", "--output", str(target)])
    assert result.exit_code == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "slaengine contract (apiVersion slaengine/v1)"
    assert schema["additionalProperties"] is False
    assert "apiVersion" in schema["required"]


def test_load_defaults_to_the_contracts_folder_and_reloading_changes_nothing(
    database: Path,
) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["contract", "load"])
    assert first.exit_code == 0, first.output
    assert [line.split()[:2] for line in first.stdout.splitlines()] == [
        ["stored", "acme-l1"],
        ["stored", "inhouse-l1"],
        ["stored", "nordline-overflow"],
    ]
    second = runner.invoke(main, ["contract", "load"])
    assert [line.split()[0] for line in second.stdout.splitlines()] == ["unchanged"] * 3


def test_load_refuses_a_changed_file_with_a_one_line_error(database: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["contract", "load", str(CONTRACTS / "acme-l1.yaml")])
    changed = tmp_path / "acme.yaml"
    text = (CONTRACTS / "acme-l1.yaml").read_text(encoding="utf-8")
    changed.write_text(text.replace("at_risk: 10%", "at_risk: 11%"), encoding="utf-8")
    result = runner.invoke(main, ["contract", "load", str(changed)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {changed}: contract acme-l1 version 2 is already")
    assert "Traceback" not in result.output


def test_list_shows_a_table_of_stored_versions(database: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["contract", "load"])
    result = runner.invoke(main, ["contract", "list"])
    assert result.exit_code == 0
    assert "acme-l1" in result.stdout and "ACME Contact Services" in result.stdout
    assert "2026-01-01 → 2026-12-31" in result.stdout


def test_list_says_when_nothing_is_stored(database: Path) -> None:
    result = CliRunner().invoke(main, ["contract", "list", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_the_schema_patterns_accept_what_the_examples_write() -> None:
    import re

    from slaengine.adapters.yaml.contract import load_contract_file

    schema = json.loads((ROOT / "docs" / "contract.schema.json").read_text(encoding="utf-8"))
    weekly = schema["$defs"]["Calendar"]["properties"]["weekly"]["patternProperties"]
    [(day_pattern, intervals)] = weekly.items()
    interval_pattern = intervals["items"]["pattern"]
    target_pattern = schema["$defs"]["Objective"]["properties"]["target"]["anyOf"][0]["pattern"]
    for path in sorted(CONTRACTS.glob("*.yaml")):
        contract = load_contract_file(path)
        for calendar in contract.calendars.values():
            for day, texts in calendar.weekly.items():
                assert re.match(day_pattern, day)
                assert all(re.match(interval_pattern, text) for text in texts)
        for objective in contract.objectives:
            assert objective.target is not None
            assert re.match(target_pattern, str(objective.target))
    assert not re.match(day_pattern, "mon-fir")
    assert not re.match(interval_pattern, "8:00-22:00")
