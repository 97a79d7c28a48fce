"""Incentives (bonus) and targets moved by continuous improvement on the reports: content
objects with exact figures, the PDFs in French, the CSV twin."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader

from slaengine.adapters.csv.report import write_objectives_csv
from slaengine.adapters.pdf import render_audit, render_portfolio, render_scorecard
from slaengine.adapters.yaml.contract import parse_contract_text
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.results import CreditSummary, Evaluation, ObjectiveResult
from slaengine.domain.money.incentives import earn_incentives
from slaengine.domain.reports import build_audit, build_portfolio, build_scorecard
from slaengine.i18n import using
from tests.reports_builders import acme, october, result

ROOT = Path(__file__).resolve().parent.parent
DRAFT = ROOT / "drafts" / "acme-l1-v3-draft.yaml"
AS_OF = datetime(2027, 2, 1, 7, 0, tzinfo=UTC)


def D(text: str) -> Decimal:
    return Decimal(text)


def draft() -> Contract:
    """The example draft: fee 120 000,00 €, incentives cap 3 % (3 600,00 €), phone-sl earns
    50 % when >= 88.7 %, csat earns 50 % when >= 89 %; continuous improvement after 12."""
    return parse_contract_text(DRAFT.read_text(encoding="utf-8"))


def january(
    phone_sl: tuple[str, int, int] = ("met", 8900, 10000),
    csat: tuple[str, int, int] = ("met", 870, 1000),
    owed: str = "2400.00",
    earned_back: str = "0.00",
    phone_sl_target: tuple[str, float] = (">= 88.5%", 0.885),
    contract: Contract | None = None,
) -> Evaluation:
    contract = contract or draft()

    def ratio(
        key: str, kpi: str, figures: tuple[str, int, int], target: str, value: float
    ) -> ObjectiveResult:
        status, numerator, denominator = figures
        return result(
            key, kpi, status, numerator / denominator,
            target=target, target_value=value, numerator=numerator, denominator=denominator,
            volume=denominator, level="critical" if key == "phone-sl" else "key",
        )  # fmt: skip

    results = (
        ratio("phone-sl", "service_level", phone_sl, *phone_sl_target),
        ratio("csat", "csat", csat, ">= 85%", 0.85),
    )
    credits = CreditSummary("EUR", D("12000.00"), D(owed), D(owed), D(earned_back))
    return Evaluation(
        contract_id=contract.id,
        contract_version=contract.version,
        provider_id=contract.provider.id,
        period="2027-01",
        as_of=AS_OF,
        month_to_date=False,
        objectives=results,
        credits=credits,
        incentives=earn_incentives(contract, results, credits),
        lifecycle="final",
    )


def test_the_scorecard_shows_each_earned_incentive_the_cap_and_the_net_position() -> None:
    # cap 3 % x 120 000,00 = 3 600,00; phone-sl 8 900 / 10 000 = 89 % >= 88.7 %: 50 % = 1 800,00;
    # csat 870 / 1 000 = 87 % < 89 %: nothing. Net: 1 800,00 paid - 2 400,00 owed = -600,00
    card = build_scorecard(draft(), january())
    view = card.incentives
    assert view is not None
    assert (view.cap, view.total, view.payable, view.net_position) == (
        "€3,600.00",
        "€1,800.00",
        "€1,800.00",
        "-€600.00",
    )
    assert view.net_value == D("-600.00")
    assert [
        (i.objective_id, i.when, i.share, i.figure, i.amount, i.earned) for i in view.lines
    ] == [
        ("phone-sl", "≥\u00a088.7%", "50%", "89.00%", "€1,800.00", True),
        ("csat", "≥\u00a089%", "50%", "87.00%", "€0.00", False),
    ]
    assert [line.why for line in view.lines] == [
        "89.00% meets ≥\u00a088.7%",
        "87.00% does not meet ≥\u00a089%",
    ]
    assert not view.scaled and not view.offset_credits


def test_earned_back_credits_and_an_offset_enter_the_net_position() -> None:
    # offset_credits: the 3 600,00 of incentives only reduce the 2 400,00 owed (less 400,00
    # earned back = 2 000,00 net): offset min(3 600,00, 2 400,00) = 2 400,00, nothing paid;
    # net = 0,00 - (2 000,00 - 2 400,00) = +400,00 for the provider
    text = DRAFT.read_text(encoding="utf-8").replace(
        "offset_credits: false", "offset_credits: true"
    )
    contract = parse_contract_text(text)
    evaluation = january(csat=("met", 900, 1000), earned_back="400.00", contract=contract)
    view = build_scorecard(contract, evaluation).incentives
    assert view is not None
    assert (view.total, view.credits_offset, view.payable, view.net_position) == (
        "€3,600.00",
        "€2,400.00",
        "€0.00",
        "€400.00",
    )


def test_a_breached_objective_says_why_it_earns_nothing() -> None:
    card = build_scorecard(draft(), january(phone_sl=("breached", 9500, 10000)))
    assert card.incentives is not None
    first = card.incentives.lines[0]
    assert (first.amount, first.why) == (
        "€0.00",
        "objective breached: a breached objective never earns",
    )


def test_a_contract_without_incentives_shows_nothing_new() -> None:
    card = build_scorecard(acme(), october())
    assert card.incentives is None
    assert build_portfolio("2026-10", [card]).rows[0].incentives is None
    assert all(row.target_note is None for row in card.rows)


def test_a_target_moved_by_continuous_improvement_shows_the_target_in_force_and_why() -> None:
    card = build_scorecard(draft(), january(phone_sl_target=(">= 89.25%", 0.8925)))
    assert card.rows[0].target == "≥\u00a089.25%"  # in force, not rounded to 89.3 %
    notes = {row.objective_id: row.target_note for row in card.rows}
    assert notes == {
        "phone-sl": "target in force ≥\u00a089.25% (contract ≥\u00a088.5%): raised by continuous"
        " improvement after 12 consecutive months better than the target",
        "csat": None,
    }


def test_the_portfolio_puts_incentives_and_net_position_beside_the_credits() -> None:
    row = build_portfolio("2027-01", [build_scorecard(draft(), january())]).rows[0]
    assert (row.net_credits, row.incentives, row.net_position) == (
        "€2,400.00",
        "€1,800.00",
        "-€600.00",
    )


def test_the_audit_lists_each_earn_rule_with_its_figure() -> None:
    audit = build_audit(
        draft(), january(), spec_text="x", contract_file_hash="d" * 64, engine_version="0.1.0"
    )
    assert audit.incentives is not None
    assert [(i.when, i.share, i.figure, i.amount) for i in audit.incentives.lines] == [
        ("≥\u00a088.7%", "50%", "89.00%", "€1,800.00"),
        ("≥\u00a089%", "50%", "87.00%", "€0.00"),
    ]


def flat(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_french_pdfs_show_the_incentives_in_french_money(tmp_path: Path) -> None:
    with using("fr_FR"):
        card = build_scorecard(draft(), january(phone_sl_target=(">= 89.25%", 0.8925)))
        scorecard = flat(render_scorecard(card, tmp_path / "s.pdf"))
        portfolio = flat(render_portfolio(build_portfolio("2027-01", [card]), tmp_path / "p.pdf"))
        audit = build_audit(
            draft(), january(), spec_text="x", contract_file_hash="d" * 64, engine_version="0.1"
        )
        audited = flat(render_audit(audit, tmp_path / "a.pdf"))
    for expected in (
        "Primes (bonus)",
        "1 800,00 €",
        "Total (plafond 3 600,00 €)",
        "Position nette du prestataire primes versées moins pénalités nettes dues",
        "-600,00 €",
        "89,00 % atteint ≥ 88,7 %",
        "objectif en vigueur ≥ 89,25 % (contrat ≥ 88,5 %)",
    ):
        assert expected in scorecard.replace("\u00a0", " ").replace("\u202f", " ")
    assert "position nette" in portfolio
    for expected in ("Acquise si", "Part du plafond", "87,00 % n'atteint pas ≥ 89 %"):
        assert expected in audited.replace("\u00a0", " ").replace("\u202f", " ")


def test_the_csv_twin_closes_with_the_incentive_rows(tmp_path: Path) -> None:
    card = build_scorecard(draft(), january())
    path = write_objectives_csv(card, tmp_path / "s.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    tail = [(line["objective"], line["credit (EUR)"], line["reason"]) for line in lines[-4:]]
    assert tail == [
        ("incentive phone-sl", "1800.00", "89.00% meets ≥\u00a088.7%"),
        ("incentive csat", "0.00", "87.00% does not meet ≥\u00a089%"),
        ("total incentives", "1800.00", ""),
        ("net position for the provider", "-600.00", ""),
    ]
