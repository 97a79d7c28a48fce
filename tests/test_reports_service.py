"""Writing reports: the service reports the month's result at as_of, says its lifecycle on
every page, describes restatements, names files.

Storage, evaluation and benchmark functions are replaced by small fakes here (their owners
test them); test_reports_end_to_end.py runs the real path over a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from slaengine.adapters.storage.evaluation_repo import StoredFinal
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.results import Evaluation
from slaengine.errors import ContractNotFound, EvaluationError
from slaengine.services import reports
from slaengine.services.evaluation import EvaluationOutcome
from tests.reports_builders import acme, acme_text, benchmark, october, september

AS_OF = datetime(2026, 11, 2, 7, tzinfo=UTC)
SETTLES = datetime(2026, 11, 4, 14, tzinfo=UTC)


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


CORRECTED = FakeFeedRecord(
    file_name="corrected.csv", sha256="e" * 64, received_at=datetime(2026, 11, 10, 9, tzinfo=UTC)
)


@dataclass
class FakeWorld:
    """What the fakes hold: the month's result, calls to run_evaluation, stored finals."""

    stored: dict[str, Evaluation] = field(default_factory=dict)
    evaluated: list[tuple[str, str]] = field(default_factory=list)
    finals: list[StoredFinal] = field(default_factory=list)


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

    def run_evaluation(
        engine: object, contract_id: str, period: str, **kw: Any
    ) -> EvaluationOutcome:
        world.evaluated.append((contract_id, period))
        found = world.stored.get(period) or october(as_of=kw["as_of"])
        return EvaluationOutcome(found, stored=True)

    replaced = datetime(2026, 11, 5, 9, tzinfo=UTC)
    fakes: dict[str, Any] = {
        "contract_in_force": contract_in_force,
        "evaluation_history": lambda engine, cid, last, months: [september()],
        "final_runs": lambda engine, cid, period: world.finals,
        "run_evaluation": run_evaluation,
        "feed_files_for_period": lambda engine, cid, start, end: [FakeFeedRecord()],
        "feed_files": lambda engine, cid: [FakeFeedRecord(), CORRECTED],
        "restatements": lambda engine, cid, start, end: [
            FakeRestatement(f"c{n}", "1" * 64, "2" * 64, replaced, replaced) for n in range(3)
        ],
        "run_benchmark": lambda engine, activity, period, as_of, benchmark_spec: benchmark(),
        "month_relief_lines": lambda engine, contract, period: (),  # no relief requests
        "_pending_relief": lambda engine, contracts: (),
    }
    for name, fake in fakes.items():
        monkeypatch.setattr(reports, name, fake)
    from slaengine.services import contracts

    # contracts_in_force (services.contracts) filters the stored list by effective dates
    monkeypatch.setattr(contracts, "list_contracts", lambda engine: [FakeStored(acme())])
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
    assert "(ingested 5 Nov 2026, 10:00 (Europe/Paris))" in text


def pages_of(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def test_a_provisional_month_says_so_on_every_page_of_every_report(
    world: FakeWorld, tmp_path: Path
) -> None:
    world.stored["2026-10"] = october(lifecycle="provisional", settles_at=SETTLES)
    line = (
        "provisional as of 2 Nov 2026, 08:00 (Europe/Paris) · the month settles"
        " 4 Nov 2026, 15:00 (Europe/Paris)"
    )
    scorecard = reports.write_scorecard(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    audit = reports.write_audit(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    portfolio = reports.write_portfolio(None, "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    for path in (scorecard, audit):
        pages = pages_of(path)
        assert len(pages) > 1
        assert all(line in page for page in pages), path.name
    overview = "provisional as of 2 Nov 2026, 08:00 (Europe/Paris): every contract"
    assert all(overview in page for page in pages_of(portfolio))
    assert not (tmp_path / "scorecard-acme-l1-2026-10.csv").exists()


def test_a_final_month_names_its_settlement_instant(world: FakeWorld, tmp_path: Path) -> None:
    world.stored["2026-10"] = october(lifecycle="final", settles_at=SETTLES, as_of=SETTLES)
    path = reports.write_scorecard(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    pages = pages_of(path)
    assert all("final result · settled 4 Nov 2026, 15:00 (Europe/Paris)" in p for p in pages)
    assert "provisional" not in " ".join(pages)


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


def test_a_restated_month_says_which_file_changed_and_what_moved(
    world: FakeWorld, tmp_path: Path
) -> None:
    first = october(lifecycle="final", settles_at=SETTLES, as_of=SETTLES)
    email = replace(first.objectives[3], status="met", value=0.96, credit=Decimal("0.00"))
    credits = replace(first.credits, total=Decimal("2400.00"), uncapped=Decimal("2400.00"))
    objectives = (*first.objectives[:3], email, *first.objectives[4:])
    second = replace(
        first, objectives=objectives, credits=credits, lifecycle="restated", restated=True
    )
    world.stored["2026-10"] = second
    world.finals = [
        StoredFinal(1, first, "fp1", {"feeds": ["c" * 64]}, 2),
        StoredFinal(2, second, "fp2", {"feeds": ["c" * 64, "e" * 64]}, None),
    ]
    for path in (
        reports.write_audit(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF),  # type: ignore[arg-type]
        reports.write_scorecard(None, "acme-l1", "2026-10", tmp_path, as_of=AS_OF),  # type: ignore[arg-type]
        reports.write_portfolio(None, "2026-10", tmp_path, as_of=AS_OF),  # type: ignore[arg-type]
    ):
        text = text_of(path)
        assert "restated final result · settled 4 Nov 2026, 15:00 (Europe/Paris)" in text or (
            path.name.startswith("portfolio") and "restated final: every contract" in text
        )
        assert "this final result restates an earlier one" in text
        assert (
            "changed input: contacts file corrected.csv (sha256 eeeeeeeeeeee) ingested"
            " 2026-11-10 10:00 is new" in text
        )
        moved = "moved: email-24h 90.0% breached, credit €4,800.00 → 96.0% met, credit €0.00"
        assert moved in text
        assert "moved: credits owed €7,200.00 → €2,400.00" in text
        assert "moved: phone-sl" not in text


def test_the_portfolio_line_names_the_provisional_and_final_contracts(
    world: FakeWorld, tmp_path: Path
) -> None:
    card = reports.scorecard_for(None, "acme-l1", "2026-10", as_of=AS_OF)  # type: ignore[arg-type]
    provisional = replace(card, lifecycle="provisional as of …", lifecycle_kind="provisional")
    final = replace(
        card, contract_id="nordline", lifecycle="final result · settled …", lifecycle_kind="final"
    )
    contracts = [acme(), acme().model_copy(update={"id": "nordline"})]
    line = reports._portfolio_line([provisional, final], contracts)
    assert line == "provisional as of 2 Nov 2026, 08:00 (Europe/Paris): acme-l1 · final: nordline"
    assert reports._portfolio_line([final], contracts) == "final: every contract"
