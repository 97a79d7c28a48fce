"""Stored and outside text on the operator's terminal: rich markup is shown as written, never
obeyed, and control characters are shown as escapes, never sent.

Each command prints hostile text in every column it has: `[/]` (crashed rich), a link tag
(made a clickable hyperlink), ESC sequences that clear the screen and set the window title,
BEL, and a bidi override. The consoles are forced into terminal mode (FORCE_COLOR), where
rich writes hyperlinks and styles, so an obeyed tag would show as escape codes.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.cli import main
from slaengine.cli.safe_text import safe, visible
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

CLEAR_SCREEN = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;pwned\x07"
LINK = "[link=http://evil.example]support[/link]"
HOSTILE = f"[/]{LINK}{CLEAR_SCREEN}{TITLE}\u202eevil"
# what the operator sees instead: every tag as written, every control character escaped
SHOWN = "[/][link=http://evil.example]support[/link]\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\u202eevil"
START = datetime(2026, 11, 2, 7, tzinfo=UTC)


def test_visible_writes_control_characters_as_escapes() -> None:
    assert visible(HOSTILE) == SHOWN
    assert visible("a\nb\tc\x7f\x9b") == "a\\nb\\tc\\x7f\\x9b"
    assert visible("a\nb\tc\x1b", keep_lines=True) == "a\nb\tc\\x1b"
    assert visible("Société Générale — 12 000,00 €") == "Société Générale — 12 000,00 €"


def test_safe_escapes_markup_so_rich_prints_it_as_written() -> None:
    from rich.console import Console

    console = Console(width=200, record=True, force_terminal=True)
    console.print(safe(HOSTILE))
    assert console.export_text().strip() == SHOWN


def obeyed(result: Result) -> list[str]:
    """Escape sequences in the output that rich did not write for its own styles."""
    text = result.output
    found = [name for name, seq in (("hyperlink", "\x1b]8;"), ("title", "\x1b]0;")) if seq in text]
    found += ["clear screen"] * text.count("\x1b[2J")
    found += ["bell"] * text.count("\x07")
    found += ["bidi override"] * text.count("\u202e")
    return found


def plain(result: Result) -> str:
    """The output without rich's own style codes (SGR sequences), as a person reads it."""
    return re.sub(r"\x1b\[[0-9;]*m", "", result.output)


class TerminalRunner(CliRunner):
    """click.echo as on a terminal: nothing stripped (click strips ANSI codes when piped)."""

    def invoke(self, *args: Any, **options: Any) -> Result:
        return super().invoke(*args, color=True, **options)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return TerminalRunner()


def load(runner: CliRunner, path: Path) -> None:
    result = runner.invoke(main, ["contract", "load", str(path)])
    assert result.exit_code == 0, result.output


def test_feed_quarantine_shows_hostile_values_and_file_names_as_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    load(runner, CONTRACTS / "acme-l1.yaml")
    name = f"[link=https:evil.example]f{CLEAR_SCREEN}.csv"  # no slash in a file name
    rows = [contact("a"), contact(HOSTILE, channel=HOSTILE, queue=HOSTILE, csat=HOSTILE)]
    path = write_csv(tmp_path / name, rows)
    ingested = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(path)])
    assert ingested.exit_code == 0, ingested.output
    assert obeyed(ingested) == []
    result = runner.invoke(main, ["feed", "quarantine", "acme-l1"])
    assert result.exit_code == 0, result.output
    assert obeyed(result) == []
    text = plain(result)
    for column in ("contact_id", "channel", "queue", "csat"):
        assert f"{column}={SHOWN}" in text
    assert "file 1: [link=https:evil.example]f\\x1b[2J\\x1b[H.csv" in text


def hostile_contract(tmp_path: Path) -> Path:
    text = (CONTRACTS / "acme-l1.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  name: ACME Contact Services",
        '  name: "[/]ACME [link=http://evil.example]support[/link]\\e[2J\\e[H\\e]0;pwned\\a"',
    )
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_contract_list_shows_a_hostile_provider_name_as_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    load(runner, hostile_contract(tmp_path))
    result = runner.invoke(main, ["contract", "list"])
    assert result.exit_code == 0, result.output
    assert obeyed(result) == []
    assert "[/]ACME [link=http://evil.example]support[/link]\\x1b[2J\\x1b[H" in plain(result)


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    """A run ledger whose every text column holds hostile text."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    create_schema(engine)
    run = run_repo.start_run(engine, HOSTILE, HOSTILE[:10], generation=0, forced=True, now=START)
    assert run is not None
    counts = {"contracts": 2, "failed": 1, "credits": {HOSTILE: "12.00"}}
    run_repo.finish_run(engine, run.id, outcome="failed", counts=counts, error=HOSTILE, now=START)
    engine.dispose()
    return url


def test_run_history_shows_hostile_ledger_texts_as_written(runner: CliRunner, ledger: str) -> None:
    result = runner.invoke(main, ["run", "history"])
    assert result.exit_code == 0, result.output
    assert obeyed(result) == []
    text = plain(result)
    assert text.count(SHOWN) == 3  # job, error and the currency in counts
    assert "[/][link=http:" in text  # the period column: the first 10 characters
    as_json = runner.invoke(main, ["run", "history", "--json"])
    assert obeyed(as_json) == []
    assert json.loads(as_json.stdout)[0]["error"] == HOSTILE


def test_an_error_message_shows_control_characters_escaped(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = f"{tmp_path}/{HOSTILE}.toml"
    monkeypatch.setenv("SLAENGINE_CONFIG", config)
    result = runner.invoke(main, ["contract", "list"])
    assert result.exit_code == 1
    assert obeyed(result) == []
    shown = visible(Path(config))
    assert result.stderr == f"error: {shown}: configuration file not found (SLAENGINE_CONFIG)\n"
    assert shown.endswith("\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\u202eevil.toml")


def test_a_run_report_shows_hostile_failures_as_written(runner: CliRunner, tmp_path: Path) -> None:
    from slaengine.cli.run_output import show_report
    from slaengine.services.runs import ContractOutcome, RunReport

    report = RunReport("monthly_close", "2026-10", "failed", note=HOSTILE, delivery=HOSTILE)
    report.contracts = [ContractOutcome(HOSTILE, currency=HOSTILE, error=HOSTILE)]

    import click

    @click.command()
    def show() -> None:
        show_report(report, as_json=False)

    result = runner.invoke(show)
    assert result.exit_code == 1
    assert obeyed(result) == []
    assert plain(result).count(SHOWN) >= 6  # contract, credits, error, note, delivery, stderr


def test_scheduler_log_lines_show_control_characters_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from slaengine.cli.scheduler import _log_to_stderr

    logger = logging.getLogger("slaengine")
    kept = list(logger.handlers), logger.level
    logger.handlers.clear()
    try:
        _log_to_stderr()
        logging.getLogger("slaengine.close").warning("monthly_close 2026-10: %s", HOSTILE)
    finally:
        logger.handlers[:] = kept[0]
        logger.setLevel(kept[1])
    err = capsys.readouterr().err
    assert err.endswith(f"monthly_close 2026-10: {SHOWN}\n")
    assert "\x1b" not in err and "\x07" not in err
