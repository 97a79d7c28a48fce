"""Periods and instants outside what the engine computes are refused in words (issue 21, 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from slaengine.domain.contract.periods import instant_problem, period_problem
from slaengine.errors import EvaluationError
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import evaluate_period
from tests.conftest import CONTRACTS

FAR_EAST = "0001-01-01T00:00:00+14:00"
FAR_WEST = "9999-12-31T23:00:00-12:00"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    from slaengine.cli import main

    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n')
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    runner = CliRunner()
    names = ("acme-l1.yaml", "inhouse-l1.yaml", "nordline-overflow.yaml")
    loaded = runner.invoke(main, ["contract", "load", *(str(CONTRACTS / n) for n in names)])
    assert loaded.exit_code == 0, loaded.output
    return runner


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("evaluate acme-l1 --period 9999-12", "'--period': 9999-12 is outside the months"),
        ("benchmark l1-support --period 9999-12", "'--period': 9999-12 is outside the months"),
        ("report scorecard acme-l1 --period 9999-12", "9999-12 is outside the months"),
        ("run monthly --period 9999-12", "9999-12 is outside the months"),
        ("evaluate acme-l1 --period 1899-12", "1899-12 is outside the months"),
        (
            f"contract backtest {CONTRACTS / 'acme-l1.yaml'} --from 9999-11 --to 9999-12",
            "'--from': 9999-11 is outside the months slaengine computes (1900-01 to 9998-12)",
        ),
        (f"evaluate acme-l1 --period 2026-10 --as-of {FAR_EAST}", f"'--as-of': {FAR_EAST} is out"),
        (f"report scorecard acme-l1 --period 2026-10 --as-of {FAR_EAST}", "outside the instants"),
        (f"report audit acme-l1 --period 2026-10 --as-of {FAR_EAST}", "outside the instants"),
        (f"run month-to-date --as-of {FAR_EAST}", "outside the instants"),
        (f"run month-to-date --as-of {FAR_WEST}", "(1900-01-02 to 9998-12-31, UTC)"),
        (f"benchmark l1-support --period 2026-10 --as-of {FAR_WEST}", "outside the instants"),
    ],
)
def test_a_month_or_instant_past_the_engine_is_a_usage_error(
    cli: CliRunner, arguments: str, message: str
) -> None:
    from slaengine.cli import main

    result = cli.invoke(main, arguments.split())
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_an_as_of_before_the_month_names_the_month_asked_for(cli: CliRunner) -> None:
    from slaengine.cli import main

    arguments = ["evaluate", "acme-l1", "--period", "2026-10", "--as-of", "2025-09-01T00:00:00Z"]
    result = cli.invoke(main, arguments)
    assert result.exit_code == 1
    assert result.output.startswith(
        "error: period 2026-10 starts 2026-10-01T00:00:00+02:00, after as_of 2025-09-01"
    )


def test_the_engine_computes_its_first_and_last_month_without_a_traceback(
    cli: CliRunner,
) -> None:
    from slaengine.cli import main

    for arguments in (
        "evaluate acme-l1 --period 9998-12",
        "evaluate acme-l1 --period 1900-01 --as-of 1900-01-02T00:00:00Z",
        "run month-to-date --as-of 1900-01-02T00:00:00Z",
        "benchmark l1-support --period 9998-12 --as-of 9998-12-31T00:00:00Z",
    ):
        result = cli.invoke(main, arguments.split())
        assert result.exit_code in (0, 1), (arguments, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), arguments


def test_the_limits_are_inclusive_and_said_once() -> None:
    assert period_problem("1900-01") is None and period_problem("9998-12") is None
    assert period_problem("9999-01") == (
        "9999-01 is outside the months slaengine computes (1900-01 to 9998-12)"
    )
    assert instant_problem(datetime(9998, 12, 31, tzinfo=UTC)) is None
    assert instant_problem(datetime(1900, 1, 2, tzinfo=UTC)) is None
    assert instant_problem(datetime.fromisoformat(FAR_EAST)) is not None


def test_the_service_refuses_a_month_past_the_engine_in_words(engine: Engine) -> None:
    load_contracts(engine, [CONTRACTS / "nordline-overflow.yaml"])
    as_of = datetime(2031, 1, 2, tzinfo=UTC)
    with pytest.raises(EvaluationError, match="9999-12 is outside the months"):
        evaluate_period(engine, "nordline-overflow", "9999-12", as_of=as_of)
    with pytest.raises(EvaluationError, match=r"0001-01-01T00:00:00\+14:00 is outside the inst"):
        evaluate_period(
            engine, "nordline-overflow", "2026-10", as_of=datetime.fromisoformat(FAR_EAST)
        )
