"""Reports over a real database: contracts loaded, a feed ingested, every report written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy.engine import Engine

from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed
from slaengine.services.reports import (
    write_audit,
    write_benchmark,
    write_portfolio,
    write_scorecard,
)
from tests.conftest import CONTRACTS

AS_OF = datetime(2026, 11, 2, 7, tzinfo=UTC)
HEADER = (
    "contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds,"
    "resolved_first_contact,csat,nps"
)


def contacts_file(folder: Path) -> Path:
    """Three phone calls on 2026-10-05 (two answered in 10 s, one abandoned) and a bad row."""
    lines = [
        HEADER,
        'c1,phone,"vip <b>&</b>",2026-10-05T09:00:00+02:00,2026-10-05T09:00:10+02:00,,120,true,5,9',
        "c2,phone,default,2026-10-05T09:05:00+02:00,2026-10-05T09:05:10+02:00,,200,false,3,6",
        "c3,phone,default,2026-10-05T09:10:00+02:00,,2026-10-05T09:11:00+02:00,,,,",
        "c4,phone,default,2026-10-05T09:20:00,,,,,,",
    ]
    path = folder / "acme <oct> & co.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def text_of(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_every_report_is_written_from_stored_data(engine: Engine, tmp_path: Path) -> None:
    load_contracts(engine, [CONTRACTS])
    ingest_feed(engine, "acme-l1", "contacts", contacts_file(tmp_path), received_at=AS_OF)
    reports = tmp_path / "reports"
    scorecard = write_scorecard(engine, "acme-l1", "2026-10", reports, as_of=AS_OF, csv=True)
    assert scorecard == reports / "scorecard-acme-l1-2026-10.pdf"
    text = text_of(scorecard)
    assert "ACME Contact Services" in text
    assert "acme <oct> & co.csv" in text
    assert scorecard.with_suffix(".csv").exists()
    first = write_audit(engine, "acme-l1", "2026-10", reports / "a", as_of=AS_OF)
    second = write_audit(engine, "acme-l1", "2026-10", reports / "b", as_of=AS_OF)
    assert first.read_bytes() == second.read_bytes()
    assert "kind: Contract" in text_of(first)
    portfolio = write_portfolio(engine, "2026-10", reports, as_of=AS_OF)
    assert "Nordline" in text_of(portfolio)
    benchmark = write_benchmark(engine, "l1-support", "2026-10", reports, as_of=AS_OF)
    assert "mixed" in text_of(benchmark)


def test_report_commands_print_the_paths_they_wrote(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    create_schema(engine)
    load_contracts(engine, [CONTRACTS])
    engine.dispose()
    env = {"SLAENGINE_DATABASE_URL": url, "SLAENGINE_REPORTS_DIR": str(tmp_path / "out")}
    as_of = ["--as-of", "2026-11-02T08:00:00+01:00"]
    runner = CliRunner(env=env)
    result = runner.invoke(
        main, ["report", "scorecard", "acme-l1", "--period", "2026-10", "--csv", *as_of]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(tmp_path / "out" / "scorecard-acme-l1-2026-10.pdf"),
        str(tmp_path / "out" / "scorecard-acme-l1-2026-10.csv"),
    ]
    result = runner.invoke(
        main, ["report", "benchmark", "l1-support", "--period", "2026-10", *as_of]
    )
    assert result.stdout.strip() == str(tmp_path / "out" / "benchmark-l1-support-2026-10.pdf")
    result = runner.invoke(main, ["report", "audit", "nope", "--period", "2026-10"])
    assert result.exit_code == 1
    assert result.output.startswith("error: no contract 'nope' is stored")


def test_a_corrected_feed_shows_as_a_restatement(sqlite_engine: Engine, tmp_path: Path) -> None:
    load_contracts(sqlite_engine, [CONTRACTS])
    ingest_feed(sqlite_engine, "acme-l1", "contacts", contacts_file(tmp_path), received_at=AS_OF)
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(
        f"{HEADER}\n"
        "c2,phone,default,2026-10-05T09:05:00+02:00,2026-10-05T09:05:40+02:00,,200,false,3,6\n",
        encoding="utf-8",
    )
    ingest_feed(sqlite_engine, "acme-l1", "contacts", corrected, received_at=AS_OF)
    path = write_scorecard(sqlite_engine, "acme-l1", "2026-10", tmp_path, as_of=AS_OF)
    text = text_of(path)
    assert "1 contact of feed file" in text
    assert "corrected.csv" in text


def test_a_benchmark_file_replaces_the_default_definitions(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    load_contracts(sqlite_engine, [CONTRACTS])
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "benchmark.yaml").write_text(
        "apiVersion: slaengine/v1\nkind: Benchmark\nactivity: l1-support\nobjectives:\n"
        "  - {id: phone-sl-30, channel: phone, kpi: service_level, threshold: 30s,"
        " denominator: offered}\n",
        encoding="utf-8",
    )
    path = write_benchmark(
        sqlite_engine, "l1-support", "2026-10", tmp_path, as_of=AS_OF, contracts_dir=folder
    )
    text = text_of(path)
    assert "service level (phone-sl-30) answered within 30 s ÷ offered (phone)" in text
    assert "abandonment" not in text
