"""Writing reports: the service reads what is stored, evaluates when nothing is, names files.

Storage, evaluation and benchmark functions are replaced by small fakes here (their owners
test them); test_reports_end_to_end.py runs the real path over a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from slaengine.domain.contract import Contract
from slaengine.domain.results import Evaluation
from slaengine.errors import ContractNotFound, EvaluationError
from slaengine.services import reports
from tests.reports_builders import acme, acme_text, benchmark, october, september

AS_OF = datetime(2026, 11, 2, 7, tzinfo=UTC)


@dataclass
class FakeStored:
    contract: Contract
    file_hash: str = "d" * 64
    source_path: str = "contracts/acme-l1.yaml"
    raw_text: str = field(default_factory=acme_text)


@dataclass
class FakeFeedRecord:
    file_name: str = "acme-contacts-2026-10.csv"
    kind: str = "contacts"
    sha256: str = "c" * 64
    rows: int = 10
    stored: int = 9
    quarantined: int = 1
    reasons: dict[str, int] = field(default_factory=lambda: {"bad <row>": 1})
    received_at: datetime = datetime(2026, 11, 1, 6, tzinfo=UTC)
    source: str | None = None
    status: str = "stored"


@dataclass
class FakeWorld:
    """What the fakes hold: stored evaluations, calls to evaluate_period."""

    stored: dict[str, Evaluation] = field(default_factory=dict)
    evaluated: list[tuple[str, str]] = field(default_factory=list)
    runs: list[Evaluation] = field(default_factory=list)


@dataclass(frozen=True)
class FakeRestatement:
    contact_id: str
    old_file_sha256: str
    new_file_sha256: str
    replaced_at: datetime
    arrived_at: datetime


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> FakeWorld:
    world = FakeWorld()

    def contract_in_force(engine: object, contract_id: str, day: object) -> FakeStored:
        if contract_id != "acme-l1":
            raise ContractNotFound(f"no stored contract {contract_id!r}")
        return FakeStored(acme())

    def evaluate_period(engine: object, contract_id: str, period: str, **kw: Any) -> Evaluation:
        world.evaluated.append((contract_id, period))
        return october(as_of=kw["as_of"])

    replaced = datetime(2026, 11, 5, 9, tzinfo=UTC)
    fakes: dict[str, Any] = {
        "contract_in_force": contract_in_force,
        "list_contracts": lambda engine: [FakeStored(acme())],
        "latest_evaluation": lambda engine, cid, period: world.stored.get(period),
        "evaluation_history": lambda engine, cid, last, months: [september()],
        "restatement_history": lambda engine, cid, period: world.runs,
        "evaluate_period": evaluate_period,
        "feed_files_for_period": lambda engine, cid, start, end: [FakeFeedRecord()],
        "restatements": lambda engine, cid, start, end: [
            FakeRestatement(f"c{n}", "1" * 64, "2" * 64, replaced, replaced) for n in range(3)
        ],
        "run_benchmark": lambda engine, activity, period, as_of, benchmark_spec: benchmark(),
    }
    for name, fake in fakes.items():
        monkeypatch.setattr(reports, name, fake)
    return world


def text_of(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_scorecard_evaluates_when_nothing_is_stored_and_writes_pdf_and_csv(
    world: FakeWorld, tmp_path: Path
) -> None:
    path = reports.write_scorecard(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF, csv=True)  # type: ignore[arg-type]
    assert path == tmp_path / "scorecard-acme-l1-2026-10.pdf"
    assert world.evaluated == [("acme-l1", "2026-10")]
    assert path.with_suffix(".csv").read_text(encoding="utf-8").count("\n") == 11  # + 4 totals
    text = text_of(path)
    assert "bad <row>: 1" in text
    assert "3 contacts of feed file 111111111111 replaced by feed file 222222222222" in text
    assert "(ingested 2026-11-05 10:00)" in text


def test_a_stored_evaluation_is_reported_as_stored(world: FakeWorld, tmp_path: Path) -> None:
    world.stored["2026-10"] = october()
    reports.write_scorecard(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    assert world.evaluated == []
    assert not (tmp_path / "scorecard-acme-l1-2026-10.csv").exists()


def test_audit_twice_gives_the_same_bytes(world: FakeWorld, tmp_path: Path) -> None:
    world.stored["2026-10"] = october()
    first = reports.write_audit(None, "acme-l1", "2026-10", tmp_path / "a", as_of=AS_OF)  # type: ignore[arg-type]
    second = reports.write_audit(None, "acme-l1", "2026-10", tmp_path / "b", as_of=AS_OF)  # type: ignore[arg-type]
    assert first.name == "audit-acme-l1-2026-10.pdf"
    assert first.read_bytes() == second.read_bytes()


def test_portfolio_and_benchmark_files(world: FakeWorld, tmp_path: Path) -> None:
    portfolio = reports.write_portfolio(None, "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    bench = reports.write_benchmark(None, "l1-support", "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    assert (portfolio.name, bench.name) == (
        "portfolio-2026-10.pdf",
        "benchmark-l1-support-2026-10.pdf",
    )
    assert "ACME Contact Services" in text_of(portfolio)


def test_no_contract_in_force_is_a_clear_error(world: FakeWorld, tmp_path: Path) -> None:
    with pytest.raises(ContractNotFound, match="no contract is in force in 2027-03"):
        reports.write_portfolio(None, "2027-03", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(ContractNotFound, match="no stored contract 'nope'"):
        reports.write_scorecard(None, "nope", "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]


def test_a_malformed_period_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="expected YYYY-MM"):
        reports.write_audit(None, "acme-l1", "2026-1", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]


def test_every_earlier_run_of_a_restated_period_is_listed(world: FakeWorld, tmp_path: Path) -> None:
    first = october(as_of=datetime(2026, 11, 2, 7, tzinfo=UTC))
    second = october(as_of=datetime(2026, 11, 20, 7, tzinfo=UTC), restated=True)
    world.stored["2026-10"], world.runs = second, [first, second]
    text = text_of(reports.write_audit(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF))  # type: ignore[arg-type]
    assert (
        "run as of 2026-11-02T07:00:00+00:00: 2 met, 2 breached, credits owed 7200.00 EUR" in text
    )
    assert "run as of 2026-11-20T07:00:00+00:00 (restated): 2 met" in text
    assert "this evaluation restates an earlier one" in text
