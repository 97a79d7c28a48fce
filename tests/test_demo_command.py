"""`slaengine demo` runs the whole cycle offline and writes every report."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from slaengine.cli import main
from slaengine.cli.demo import demo_months
from tests.conftest import CONTRACTS


def test_demo_months_end_in_october_2026() -> None:
    assert demo_months(5) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert demo_months(1) == ["2026-10"]
    assert demo_months(11)[0] == "2025-12"


def run_demo(out: Path) -> tuple[str, float]:
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["demo", "--months", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.stdout, time.perf_counter() - started


def test_the_whole_demo_on_two_months_writes_every_report_the_same_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLAENGINE_CONTRACTS_DIR", str(CONTRACTS))
    monkeypatch.delenv("SLAENGINE_DATABASE_URL", raising=False)
    stdout, elapsed = run_demo(tmp_path / "first")
    assert (tmp_path / "demo.db").is_file(), "the default database is a fresh ./demo.db"
    written = [Path(line) for line in stdout.splitlines() if line.endswith(".pdf")]
    assert sorted(path.name for path in written) == [
        "audit-acme-l1-2026-10.pdf",
        "audit-inhouse-l1-2026-10.pdf",
        "audit-nordline-overflow-2026-10.pdf",
        "benchmark-l1-support-2026-10.pdf",
        "portfolio-2026-10.pdf",
        "scorecard-acme-l1-2026-10.pdf",
        "scorecard-inhouse-l1-2026-10.pdf",
        "scorecard-nordline-overflow-2026-10.pdf",
    ]
    assert all(path.read_bytes().startswith(b"%PDF") for path in written)
    assert (tmp_path / "first" / "scorecard-acme-l1-2026-10.csv").is_file()
    assert (tmp_path / "first" / "demo-feeds" / "acme-l1" / "contacts-2026-10.csv").is_file()
    assert "answered_before_arrival: 1" in stdout
    assert "✗ breached" in stdout  # acme's bad phone week
    assert elapsed < 60

    # a second run starts from a fresh demo.db and writes byte-identical reports
    second_stdout, _ = run_demo(tmp_path / "second")
    assert second_stdout.replace("second", "first") == stdout
    for path in written:
        assert (tmp_path / "second" / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_demo_refuses_a_database_that_holds_contracts_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import list_contracts, load_contracts

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLAENGINE_CONTRACTS_DIR", str(CONTRACTS))
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    engine = make_engine(url)
    create_schema(engine)
    load_contracts(engine, [CONTRACTS / "inhouse-l1.yaml"])
    result = CliRunner().invoke(
        main, ["demo", "--months", "1", "--database", url, "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "already holds 1 contract(s) (inhouse-l1)" in result.stderr
    assert "pass --into-existing; nothing was changed" in result.stderr
    assert [s.contract.id for s in list_contracts(engine)] == ["inhouse-l1"]
    assert not (tmp_path / "out").exists()
    engine.dispose()


def test_a_sqlite_url_in_a_missing_folder_is_an_error_not_a_new_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'typo' / 'slaengine.db'}"
    result = CliRunner().invoke(main, ["contract", "list"], env={"SLAENGINE_DATABASE_URL": url})
    assert result.exit_code == 1
    assert f"the folder {tmp_path / 'typo'} does not exist" in result.stderr
    assert not (tmp_path / "typo").exists()
