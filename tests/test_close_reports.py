"""The close's reports share what they read (one benchmark per activity and instant, each
result read once) and are byte for byte the reports the report commands write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from slaengine.config import Settings
from slaengine.services import reports
from slaengine.services.close import close_month
from slaengine.services.evaluation import settles_at
from tests.close_builders import AFTER_OCTOBER, Mailbox, load_world, settings_for, smtp_server


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Iterator[Settings]:
    load_world(engine, tmp_path)
    with smtp_server(Mailbox()) as port:
        yield settings_for(tmp_path, port)


def close(engine: Engine, settings: Settings) -> Any:
    return close_month(
        engine, settings, "2026-10", now=AFTER_OCTOBER, mail_options={"wait_seconds": 0.0}
    )


def test_the_close_runs_one_benchmark_per_activity_and_reads_each_result_once(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    benchmarked: list[str] = []
    evaluated: list[str] = []
    real_benchmark, real_evaluation = reports.run_benchmark, reports.run_evaluation

    def benchmark_spy(engine: Engine, activity: str, period: str, **options: Any) -> Any:
        benchmarked.append(activity)
        return real_benchmark(engine, activity, period, **options)

    def evaluation_spy(engine: Engine, contract_id: str, period: str, **options: Any) -> Any:
        evaluated.append(contract_id)
        return real_evaluation(engine, contract_id, period, **options)

    monkeypatch.setattr(reports, "run_benchmark", benchmark_spy)
    monkeypatch.setattr(reports, "run_evaluation", evaluation_spy)
    assert close(engine, settings).outcome == "done"
    # scorecards, audits and the portfolio of both contracts (both settle at one instant)
    assert sorted(benchmarked) == ["act-breaching", "act-meeting"]
    assert sorted(evaluated) == ["breaching", "meeting"]


def test_the_close_writes_the_bytes_the_report_commands_write(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    assert close(engine, settings).outcome == "done"
    apart = tmp_path / "apart"
    as_of = settles_at(engine, "breaching", "2026-10")
    assert as_of == settles_at(engine, "meeting", "2026-10")
    written = [reports.write_portfolio(engine, "2026-10", apart, as_of=as_of)]
    for contract_id in ("breaching", "meeting"):
        written.append(reports.write_audit(engine, contract_id, "2026-10", apart, as_of=as_of))
        card = reports.write_scorecard(engine, contract_id, "2026-10", apart, as_of=as_of, csv=True)
        written += [card, card.with_suffix(".csv")]
    closed = settings.reports_dir
    assert sorted(path.name for path in closed.iterdir()) == sorted(p.name for p in written)
    for path in written:
        assert path.read_bytes() == (closed / path.name).read_bytes(), path.name
