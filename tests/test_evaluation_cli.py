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
