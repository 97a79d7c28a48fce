"""`slaengine report ...`: help on every command, usage mistakes exit 2 with a clear message."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from slaengine.cli import main


@pytest.mark.parametrize("command", ["scorecard", "portfolio", "audit", "benchmark"])
def test_every_report_command_explains_itself(command: str) -> None:
    result = CliRunner().invoke(main, ["report", command, "--help"])
    assert result.exit_code == 0
    assert "--period" in result.output


def test_a_period_that_is_not_a_month_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["report", "scorecard", "acme-l1", "--period", "2026-13"])
    assert result.exit_code == 2
    assert "expected a month as YYYY-MM (e.g. 2026-10), found '2026-13'" in result.output


def test_an_as_of_without_offset_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        main, ["report", "audit", "acme-l1", "--period", "2026-10", "--as-of", "2026-11-02T08:00"]
    )
    assert result.exit_code == 2
    assert "has no UTC offset" in result.output


def test_an_as_of_that_is_not_a_date_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        main, ["report", "portfolio", "--period", "2026-10", "--as-of", "yesterday"]
    )
    assert result.exit_code == 2
    assert "expected an ISO 8601 instant" in result.output
