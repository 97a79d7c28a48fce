"""`slaengine evaluate`: usage mistakes are exit 2 with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from slaengine.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(tmp_path / "absent.toml"))
    return CliRunner()


def test_evaluate_has_help_naming_its_options(runner: CliRunner) -> None:
    result = runner.invoke(main, ["evaluate", "--help"])
    assert result.exit_code == 0
    for option in ("--period", "--as-of", "--json", "CONTRACT"):
        assert option in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--period", "2026-13"], "expected a month as YYYY-MM"),
        (["--period", "october"], "expected a month as YYYY-MM"),
        (["--period", "2026-10", "--as-of", "tomorrow"], "expected an ISO 8601 instant"),
        (["--period", "2026-10", "--as-of", "2026-10-15T12:00:00"], "has no UTC offset"),
        ([], "Missing option '--period'"),
    ],
)
def test_a_bad_period_or_as_of_is_a_usage_error(
    runner: CliRunner, arguments: list[str], message: str
) -> None:
    result = runner.invoke(main, ["evaluate", "acme-l1", *arguments])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_table_never_cuts_an_objective_id_in_80_columns(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import CONTRACTS

    long_id = "phone-abandonment-weekdays"  # 26 characters
    text = (CONTRACTS / "acme-l1.yaml").read_text(encoding="utf-8")
    contract = tmp_path / "acme-l1.yaml"
    contract.write_text(text.replace("phone-abandon", long_id), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[reports]\nlocale = "en_GB"\n', encoding="utf-8")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    loaded = runner.invoke(main, ["contract", "load", str(contract)])
    assert loaded.exit_code == 0, loaded.output
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(
        main, ["evaluate", "acme-l1", "--period", "2026-10", "--as-of", "2026-11-05T00:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    table = result.output.split("credits:")[0]
    first_words = [line.split()[0] for line in table.splitlines() if line.strip()]
    for objective in (long_id, "phone-sl", "chat-sl", "email-24h", "phone-asa", "fcr", "csat"):
        assert objective in first_words  # whole, at the start of its row
    assert "…" not in table
    assert all(len(line) <= 80 for line in table.splitlines())
    # the notes (cut from the table in 80 columns) follow it, one line per objective
    assert f"{long_id}: no window could be determined" in result.output


def test_a_contract_with_incentives_prints_them_and_the_net_position(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parent.parent
    config = tmp_path / "config.toml"
    config.write_text('[reports]\nlocale = "en_GB"\n', encoding="utf-8")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    draft = root / "drafts" / "acme-l1-v3-draft.yaml"
    loaded = runner.invoke(main, ["contract", "load", str(draft)])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(
        main, ["evaluate", "acme-l1", "--period", "2027-01", "--as-of", "2027-02-05T00:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    # no feeds: nothing earned; cap 3 % x 120000.00 = 3600.00; no credits owed either
    assert (
        "incentives: 0.00 EUR of 3600.00 cap; net position for the provider 0.00" in result.output
    )
