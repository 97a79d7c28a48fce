"""`slaengine run ...` and `slaengine scheduler ...` through the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.lease import database_lock
from slaengine.cli import main
from tests.close_builders import Mailbox, load_world, smtp_server


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox
) -> Iterator[CliRunner]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    create_schema(engine)
    load_world(engine, tmp_path)
    engine.dispose()
    with smtp_server(mailbox) as port:
        (tmp_path / "config.toml").write_text(
            f'[database]\nurl = "{url}"\n[paths]\nreports = "{tmp_path / "reports"}"\n'
            f'contracts = "{tmp_path / "contracts"}"\n'
            f'[delivery]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
            'director = ["director@example.com"]\n'
            '[schedule]\ntimezone = "Europe/Paris"\n'
            '[reports]\nlocale = "en_GB"\n'
        )
        monkeypatch.setenv("SLAENGINE_CONFIG", str(tmp_path / "config.toml"))
        yield CliRunner()


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["run"], ["monthly", "month-to-date", "history"]),
        (["run", "monthly"], ["--period", "--force", "--json"]),
        (["run", "month-to-date"], ["--as-of", "--json"]),
        (["run", "history"], ["--json", "--limit"]),
        (["scheduler"], ["start", "jobs"]),
        (["scheduler", "start"], ["--wait", "SIGTERM"]),
        (["scheduler", "jobs"], ["--json"]),
    ],
)
def test_every_command_has_help(command: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    for word in words:
        assert word in result.output


def test_run_monthly_closes_once_and_history_shows_it(runner: CliRunner, mailbox: Mailbox) -> None:
    first = runner.invoke(main, ["run", "monthly", "--period", "2026-10", "--json"])
    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    assert (document["outcome"], document["counts"]["breaches"]) == ("done", 1)
    assert document["delivery"] == "sent to director@example.com"
    second = runner.invoke(main, ["run", "monthly", "--period", "2026-10"])
    assert second.exit_code == 0
    assert "monthly_close 2026-10: skipped" in second.stdout
    assert "nothing done (use --force to close it again)" in second.stdout
    assert len(mailbox.received) == 1
    history = runner.invoke(main, ["run", "history", "--json"])
    runs = json.loads(history.stdout)
    assert [(r["job"], r["period"], r["outcome"], r["forced"]) for r in runs] == [
        ("monthly_close", "2026-10", "done", False)
    ]
    assert runs[0]["counts"]["credits"] == {"EUR": "1000.00"}


def test_a_forced_close_shows_as_forced(runner: CliRunner, mailbox: Mailbox) -> None:
    runner.invoke(main, ["run", "monthly", "--period", "2026-10"])
    forced = runner.invoke(main, ["run", "monthly", "--period", "2026-10", "--force"])
    assert forced.exit_code == 0
    assert "(forced)" in forced.stdout
    table = runner.invoke(main, ["run", "history"]).stdout
    assert "forced" in table
    assert len(mailbox.received) == 2


def test_a_failed_delivery_exits_1_naming_it(runner: CliRunner, mailbox: Mailbox) -> None:
    mailbox.refuse_next, mailbox.refusal = 1, "550 mailbox unavailable"  # permanent: no retry
    result = runner.invoke(main, ["run", "monthly", "--period", "2026-10", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["outcome"] == "failed"
    assert "error: monthly_close 2026-10 failed:" in result.stderr
    assert 'delivery: e-mail "SLA close of October 2026: 1 objective missed' in result.stderr
    assert "Traceback" not in result.output


def test_a_bad_period_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", "monthly", "--period", "2026-13"])
    assert result.exit_code == 2
    assert "expected a month as YYYY-MM" in result.output


def test_month_to_date_runs_and_says_no_webhook_is_configured(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["run", "month-to-date", "--as-of", "2026-10-06T10:00:00+02:00", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["job"], document["period"]) == ("month_to_date", "2026-10-06")
    assert document["delivery"] == "no alerts sent: [delivery] webhook_url is empty"


def test_scheduler_jobs_lists_the_three_jobs(runner: CliRunner) -> None:
    result = runner.invoke(main, ["scheduler", "jobs", "--json"])
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    assert [(e["job"], e["cron"], e["timezone"]) for e in listing] == [
        ("pull", "0 6 * * *", "Europe/Paris"),
        ("month_to_date", "0 7 * * *", "Europe/Paris"),
        ("monthly_close", "0 8 2 * *", "Europe/Paris"),
    ]


def test_a_second_scheduler_exits_with_a_clear_message(runner: CliRunner, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    held = database_lock(engine, "slaengine-scheduler")
    assert held.acquire()
    try:
        result = runner.invoke(main, ["scheduler", "start"])
    finally:
        held.release()
        engine.dispose()
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: another scheduler ({held.holder}) is running on this database; only one may"
        " act: stop it first, or start this one with --wait to take over when it stops\n"
    )


def test_a_manual_run_beside_a_running_one_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    held = database_lock(engine, "slaengine-runs")
    assert held.acquire()
    try:
        result = runner.invoke(main, ["run", "monthly", "--period", "2026-10"])
    finally:
        held.release()
        engine.dispose()
    assert result.exit_code == 1
    assert f"error: another slaengine run ({held.holder}) is in progress" in result.stderr


def test_history_shows_every_attempt_readable_at_80_columns_and_piped(
    runner: CliRunner, mailbox: Mailbox
) -> None:
    runner.invoke(main, ["run", "monthly", "--period", "2026-10"])
    runner.invoke(main, ["run", "monthly", "--period", "2026-10"])  # skipped, and kept
    result = runner.invoke(main, ["run", "history"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert "…" not in result.stdout  # nothing cut: "monthl…", "finish…" were unreadable
    assert lines[1] == "monthly_close 2026-10  gen 0  done"
    assert lines[2] == "  2 contracts, 1 breaches, credits 1000.00 EUR"
    assert lines[3].startswith("   1 first    20") and lines[3].endswith(" done")
    assert lines[4].startswith("   2 skipped  20") and lines[4].endswith(" skipped")
    runs = json.loads(runner.invoke(main, ["run", "history", "--json"]).stdout)
    assert [a["kind"] for a in runs[0]["attempts"]] == ["first", "skipped"]


def test_history_shows_a_running_run_and_stored_text_as_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from slaengine.adapters.storage import run_repo

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    now = datetime(2026, 11, 2, 7, tzinfo=UTC)
    run = run_repo.start_run(engine, "pull", "2026-11-02", generation=0, forced=False, now=now)
    assert run is not None
    run_repo.start_attempt(engine, run.id, kind="first", now=now)
    failed = run_repo.start_run(engine, "pull", "2026-11-01", generation=0, forced=False, now=now)
    assert failed is not None
    run_repo.finish_run(
        engine, failed.id, outcome="failed", counts={}, error="[bold]x[/] \x1b[2J", now=now
    )
    engine.dispose()
    result = runner.invoke(main, ["run", "history"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output  # a running row crashed the table before
    assert "pull 2026-11-02  gen 0  running" in result.stdout
    assert "2026-11-02 07:00:00 → …" in result.stdout
    assert "[bold]x[/] \\x1b[2J" in result.stdout and "\x1b" not in result.stdout
