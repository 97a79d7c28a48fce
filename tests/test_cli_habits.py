"""A command line that fits a person's habits: quick help, the same option names everywhere,
errors for unknown contracts, filters on quarantine, and the demo's next command working."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from slaengine.cli import COMMANDS, main
from slaengine.cli.demo import next_steps
from slaengine.cli.feed import FEED_KINDS
from slaengine.config import load_settings
from slaengine.errors import ConfigError
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

HEAVY = ("polars", "pandera", "reportlab", "sqlalchemy", "babel")


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = f"import sys, slaengine.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


def test_top_level_help_lists_every_command_without_importing_them() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from slaengine.cli import main; "
        "out = CliRunner().invoke(main, ['--help']).output; "
        "print(all(n in out for n in ('contract', 'feed', 'evaluate', 'report', 'benchmark', "
        "'demo'))); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    lines = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines == ["True", "[]"]


def test_lazy_commands_load_when_used() -> None:
    result = CliRunner().invoke(main, ["feed", "--help"])
    assert result.exit_code == 0
    assert set(COMMANDS) <= set(main.list_commands(None))  # type: ignore[arg-type]


def test_the_cli_feed_kinds_are_the_annex_kinds() -> None:
    from slaengine.adapters.feeds.schemas import KINDS

    assert tuple(FEED_KINDS) == tuple(KINDS)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["benchmark", "--help"], ["--period YYYY-MM", "--as-of ISO"]),
        (["report", "scorecard", "--help"], ["--period YYYY-MM", "--as-of ISO"]),
        (["evaluate", "--help"], ["--period YYYY-MM"]),
        (["feed", "ingest", "--help"], ["mapping (TOML)"]),
        (["feed", "quarantine", "--help"], ["--reason CODE", "--limit N", "--file ID"]),
    ],
)
def test_options_have_the_same_metavars_everywhere(command: list[str], expected: list[str]) -> None:
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    for phrase in expected:
        assert phrase in flat


# quarantine -------------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    config = tmp_path / "config.toml"
    config.write_text('[reports]\nlocale = "en_GB"\n', encoding="utf-8")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    runner = CliRunner()
    loaded = runner.invoke(main, ["contract", "load", str(CONTRACTS / "acme-l1.yaml")])
    assert loaded.exit_code == 0, loaded.output
    rows = [contact("a"), contact("b", channel="fax"), contact("c", csat="6", nps="11")]
    rows += [contact("d", channel="pigeon")]
    feed = write_csv(tmp_path / "contacts.csv", rows)
    ingested = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(feed)])
    assert ingested.exit_code == 0, ingested.output
    return runner


def test_quarantine_of_an_unknown_contract_is_an_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["feed", "quarantine", "nobody"])
    assert result.exit_code == 1
    assert "nobody" in result.output
    assert "no quarantined rows" not in result.output


def test_quarantine_filters_by_reason_and_limits_the_rows(runner: CliRunner) -> None:
    by_reason = runner.invoke(
        main, ["feed", "quarantine", "acme-l1", "--reason", "bad_channel", "--json"]
    )
    assert [row["line"] for row in json.loads(by_reason.stdout)] == [3, 5]
    limited = runner.invoke(main, ["feed", "quarantine", "acme-l1", "--limit", "1", "--json"])
    assert [row["line"] for row in json.loads(limited.stdout)] == [3]
    table = runner.invoke(main, ["feed", "quarantine", "acme-l1", "--limit", "2"])
    assert "2 of 3 rows shown (--limit 2)" in table.output
    none = runner.invoke(main, ["feed", "quarantine", "acme-l1", "--reason", "bad_timestamp"])
    assert none.output == "no quarantined rows for acme-l1 with reason bad_timestamp\n"


def test_quarantine_tables_show_the_readable_reason_beside_its_code(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(main, ["feed", "quarantine", "acme-l1"])
    words = result.output.replace("│", " ").split()
    assert {"annex's", "channels"} <= set(words)  # the reason in words (wrapped)
    assert "(bad_channel)" in words
    assert "contacts.csv" in result.output  # the file name is never cut


def test_reingesting_the_same_bytes_says_unchanged_in_json(
    runner: CliRunner, tmp_path: Path
) -> None:
    again = runner.invoke(
        main, ["feed", "ingest", "acme-l1", "contacts", str(tmp_path / "contacts.csv"), "--json"]
    )
    assert json.loads(again.stdout)["unchanged"] is True


# contract check ---------------------------------------------------------------------------


def test_check_counts_only_the_files_that_have_problems(tmp_path: Path) -> None:
    good = (CONTRACTS / "acme-l1.yaml").read_text(encoding="utf-8")
    (tmp_path / "good.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("apiVersion: slaengine/v1\nkind: Contract\n", "utf-8")
    result = CliRunner().invoke(main, ["contract", "check", str(tmp_path)])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.endswith("problem(s) in 1 file(s)"), last


# the demo's next command, the locale setting ---------------------------------------------


def test_the_demo_prints_the_lines_that_make_its_database_the_cli_one() -> None:
    text = next_steps(Path("/work/x/demo.db"))
    assert "  . .venv/bin/activate" in text
    assert "  export SLAENGINE_DATABASE_URL=sqlite:////work/x/demo.db" in text
    assert "  slaengine evaluate acme-l1 --period 2026-10" in text


def test_the_report_locale_comes_from_config_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[reports]\nlocale = "en_GB"\n', encoding="utf-8")
    assert load_settings({"SLAENGINE_CONFIG": str(config)}).locale == "en_GB"
    both = {"SLAENGINE_CONFIG": str(config), "SLAENGINE_LOCALE": "fr_FR"}
    assert load_settings(both).locale == "fr_FR"


def test_the_default_report_locale_is_french(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert load_settings({"SLAENGINE_CONFIG": str(config)}).locale == "fr_FR"


def test_an_unsupported_report_locale_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[reports]\nlocale = "de_DE"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="use fr_FR or en_GB"):
        load_settings({"SLAENGINE_CONFIG": str(config)})


def test_the_benchmark_table_never_cuts_a_setup_name_in_80_columns() -> None:
    from rich.console import Console

    from slaengine.cli.benchmark import benchmark_table
    from tests.reports_builders import benchmark

    result = benchmark()
    long = replace(result.setups[0], name="nordline-overflow-weekend")
    result = replace(result, setups=(long, *result.setups[1:]))
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(benchmark_table(result, narrow=True))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for setup in result.setups:
        assert setup.name in text
