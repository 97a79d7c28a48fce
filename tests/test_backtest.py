"""`contract backtest`: the example draft on the demo's ACME feeds, through the command line.

The demo feeds (seed 7, June..October 2026, as of 2026-11-02 08:00 Paris) give ACME these
month figures (stored evaluations of acme-l1 version 2, the contract in force):

    month    phone-sl  email-24h  csat    phone-abandon  statuses under v2
    2026-06  88.22 %   90.99 %    89.17 % met            email-24h breached (< 95 %)
    2026-07  88.20 %   97.97 %    88.30 % met            all met
    2026-08  88.72 %   97.40 %    89.61 % met            all met
    2026-09  88.78 %   97.70 %    86.26 % met            all met
    2026-10  76.61 %   97.45 %    89.08 % breached       phone-sl and phone-abandon breached

Under version 2 (at risk 10 % of 120 000.00 = 12 000.00): June owes email-24h 40 % = 4 800.00,
October phone-sl 40 % + phone-abandon 20 % = 7 200.00; September earns June's 4 800.00 back
(email-24h met in July, August, September). Credits 12 000.00, earned back 4 800.00.

The draft (phone-sl >= 88.5 %, email-24h >= 90 %, bonus cap 3 % = 3 600.00, phone-sl from
88.7 % and csat from 89 %, 50 % = 1 800.00 each):
    2026-06  phone-sl breached (4 800.00), email-24h met; csat 89.17 >= 89: 1 800.00
    2026-07  phone-sl breached (4 800.00); csat 88.30: nothing
    2026-08  phone-sl 88.72 >= 88.7 and csat 89.61: 3 600.00
    2026-09  phone-sl 88.78: 1 800.00; csat 86.26: nothing
    2026-10  7 200.00 as under v2; csat 89.08: 1 800.00
Credits 16 800.00, nothing earned back (July and October breach phone-sl again), incentives
9 000.00, net for the provider 9 000.00 - 16 800.00 = -7 800.00 (v2: -7 200.00). Statuses flip
in June (phone-sl met -> breached, email-24h breached -> met) and July (phone-sl).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.cli import main
from slaengine.cli.demo import DEMO_AS_OF, demo_months, received_at
from slaengine.demo.generate import generate_feeds
from slaengine.services.contracts import contract_in_force, load_contracts
from slaengine.services.evaluation import evaluate_period
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS
from tests.language import english_words

DRAFT = CONTRACTS.parent / "drafts" / "acme-l1-v3-draft.yaml"
AS_OF = DEMO_AS_OF.isoformat()
MONTHS = demo_months(5)


def build_demo_database(url: str, feeds: Path, *, evaluated: bool = True) -> None:
    """The demo's ACME data: contracts loaded, feeds ingested, every month evaluated (stored)
    as of the demo's instant unless `evaluated` is False."""
    engine = make_engine(url)
    create_schema(engine)
    try:
        load_contracts(engine, [CONTRACTS])
        acme = contract_in_force(engine, "acme-l1", date(2026, 10, 1)).contract
        for file in generate_feeds(feeds, [acme], MONTHS, seed=7, as_of=DEMO_AS_OF):
            ingest_feed(engine, file.contract_id, file.kind, file.path,
                        received_at=received_at(file.month))  # fmt: skip
        for month in MONTHS if evaluated else []:
            evaluate_period(engine, "acme-l1", month, as_of=DEMO_AS_OF)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("backtest")
    url = f"sqlite:///{root / 'demo.db'}"
    with pytest.MonkeyPatch.context() as patch:  # the module's store, not the first test's
        patch.setenv("SLAENGINE_DATA_URL", str(root / "data"))
        build_demo_database(url, root / "feeds")
    return url


@pytest.fixture
def demo_env(demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", demo_url)
    database = Path(demo_url.removeprefix("sqlite:///"))
    monkeypatch.setenv("SLAENGINE_DATA_URL", str(database.parent / "data"))
    monkeypatch.setenv("SLAENGINE_REPORTS_DIR", str(tmp_path / "reports"))
    yield tmp_path / "reports"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["contract", "backtest", *args])


def backtest_json(*extra: str) -> dict[str, Any]:
    result = run(str(DRAFT), "--from", "2026-06", "--to", "2026-10", "--as-of", AS_OF,
                 "--json", *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def objective(evaluation: dict[str, Any], objective_id: str) -> dict[str, Any]:
    [found] = [item for item in evaluation["objectives"] if item["id"] == objective_id]
    return found


def test_the_draft_beside_the_contract_in_force_month_by_month(demo_env: Path) -> None:
    document = backtest_json()
    assert document["draft"]["id"] == "acme-l1" and document["draft"]["version"] == 3
    assert document["against"] == "acme-l1"
    months = document["months"]
    assert [month["period"] for month in months] == MONTHS
    # October settles on 4 Nov (24 business hours of e-mail): as of 2 Nov it is provisional
    assert [month["lifecycle"] for month in months] == ["final"] * 4 + ["provisional"]
    assert [month["in_force"]["contract_version"] for month in months] == [2] * 5
    assert [objective(m["draft"], "phone-sl")["value"] for m in months] == [
        0.8822, 0.882, 0.8872, 0.8878, 0.7661
    ]  # fmt: skip
    assert [objective(m["draft"], "phone-sl")["status"] for m in months] == [
        "breached", "breached", "met", "met", "breached"
    ]  # fmt: skip
    assert [objective(m["in_force"], "phone-sl")["status"] for m in months] == [
        "met", "met", "met", "met", "breached"
    ]  # fmt: skip
    assert objective(months[0]["draft"], "email-24h")["status"] == "met"
    assert objective(months[0]["in_force"], "email-24h")["status"] == "breached"
    assert [m["draft"]["credits"]["total"] for m in months] == [
        "4800.00", "4800.00", "0.00", "0.00", "7200.00"
    ]  # fmt: skip
    assert [m["in_force"]["credits"]["total"] for m in months] == [
        "4800.00", "0.00", "0.00", "0.00", "7200.00"
    ]  # fmt: skip
    assert [m["in_force"]["credits"]["earned_back"] for m in months] == [
        "0.00", "0.00", "0.00", "4800.00", "0.00"
    ]  # fmt: skip
    assert [m["draft"]["incentives"]["earned"] for m in months] == [
        {"phone-sl": "0.00", "csat": "1800.00"},
        {"phone-sl": "0.00", "csat": "0.00"},
        {"phone-sl": "1800.00", "csat": "1800.00"},
        {"phone-sl": "1800.00", "csat": "0.00"},
        {"phone-sl": "0.00", "csat": "1800.00"},
    ]
    assert months[2]["draft"]["incentives"]["cap"] == "3600.00"
    assert [m["in_force"]["incentives"]["total"] for m in months] == ["0.00"] * 5


def test_totals_and_flipped_months(demo_env: Path) -> None:
    document = backtest_json()
    assert document["totals"] == {
        "draft": {"credits": "16800.00", "incentives": "9000.00", "earned_back": "0.00",
                  "net_position": "-7800.00"},
        "in_force": {"credits": "12000.00", "incentives": "0.00", "earned_back": "4800.00",
                     "net_position": "-7200.00"},
    }  # fmt: skip
    flips = {month["period"]: month["flips"] for month in document["months"]}
    assert flips == {
        "2026-06": [
            {"objective": "phone-sl", "in_force": "met", "draft": "breached"},
            {"objective": "email-24h", "in_force": "breached", "draft": "met"},
        ],
        "2026-07": [{"objective": "phone-sl", "in_force": "met", "draft": "breached"}],
        "2026-08": [],
        "2026-09": [],
        "2026-10": [],
    }
    # the draft's own history (inside the range) runs its tighter chronic failure rule
    october = document["months"][-1]["draft"]["chronic_failures"]
    assert october == [{"objective": "phone-sl", "breached_periods": ["2026-06", "2026-07",
                        "2026-10"], "breaches": 2, "within_months": 6}]  # fmt: skip
    assert document["changes"][2]["text"] == (
        "phone-sl: target ≥ 80 % → ≥ 88.5 % (harder for the provider)"
    )


def test_the_contract_in_force_itself_backtests_to_its_stored_results(demo_env: Path) -> None:
    result = run(str(CONTRACTS / "acme-l1.yaml"), "--from", "2026-06", "--to", "2026-10",
                 "--as-of", AS_OF, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for month in document["months"]:
        assert month["flips"] == []
        for draft, stored in zip(month["draft"]["objectives"], month["in_force"]["objectives"],
                                 strict=True):  # fmt: skip
            assert (draft["status"], draft["value"], draft["numerator"], draft["credit"]) == (
                stored["status"], stored["value"], stored["numerator"], stored["credit"]
            )  # fmt: skip
    # the draft's earn-back sees only the range: September returns June's credit in both
    assert document["totals"]["draft"] == document["totals"]["in_force"]


def row_counts(engine: Engine) -> dict[str, Any]:
    """Every table's rows (sorted), so that a replaced row shows as well as an added one."""
    with engine.connect() as connection:
        return {
            table: sorted(map(repr, connection.execute(text(f'SELECT * FROM "{table}"')).all()))
            for table in inspect(engine).get_table_names()
        }


def test_a_backtest_stores_nothing_at_all(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url
    build_demo_database(url, tmp_path / "feeds")
    # delete the stored result of one month: the backtest computes it, and must not store it
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM evaluation_objective WHERE run_id IN (SELECT id"
                                " FROM evaluation_run WHERE period = '2026-09')"))  # fmt: skip
        connection.execute(text("DELETE FROM evaluation_run WHERE period = '2026-09'"))
    before = row_counts(engine)
    assert before["columnar_part"] and before["evaluation_run"]
    parts_before = sorted((tmp_path / "data").rglob("*"))
    with engine.connect() as connection:
        september = "SELECT COUNT(*) FROM evaluation_run WHERE period = '2026-09'"
        assert connection.execute(text(september)).scalar_one() == 0
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", url)
    monkeypatch.setenv("SLAENGINE_REPORTS_DIR", str(tmp_path / "reports"))
    result = run(str(DRAFT), "--from", "2026-06", "--to", "2026-10", "--as-of", AS_OF,
                 "--json", "--pdf")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["months"][3]["lifecycle"] == "final"
    assert document["months"][3]["in_force"]["credits"]["earned_back"] == "4800.00"
    assert row_counts(engine) == before
    assert sorted((tmp_path / "data").rglob("*")) == parts_before
    engine.dispose()


def test_the_pdf_holds_the_table_the_chart_and_the_terms(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAENGINE_LOCALE", "en_GB")
    result = run(str(DRAFT), "--from", "2026-06", "--to", "2026-10", "--as-of", AS_OF, "--pdf")
    assert result.exit_code == 0, result.output
    path = demo_env / "backtest-acme-l1-v3-2026-06-2026-10.pdf"
    assert f"wrote {path}" in result.stdout
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    from pypdf import PdfReader

    pages = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    flat = " ".join(pages.split())
    assert "Months where a status flips: June 2026, July 2026" in flat
    assert "from June 2026 to October 2026" in flat
    assert "Monthly credits and incentives (EUR)" in pages
    assert "16,800.00" in pages and "9,000.00" in pages
    assert "chronic failure: breaches 3 → 2 (favours the client)" in pages
    assert "provisional as of 2 Nov 2026, 08:00 (Europe/Paris): October 2026" in flat
    assert "October 2026 (provisional): objective" in flat


def test_the_pdf_speaks_the_report_language(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAENGINE_LOCALE", "fr_FR")
    result = run(str(DRAFT), "--from", "2026-06", "--to", "2026-10", "--as-of", AS_OF, "--pdf")
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader

    path = demo_env / "backtest-acme-l1-v3-2026-06-2026-10.pdf"
    pages = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert "Simulation d'un projet de contrat : acme-l1" in pages
    assert "Mois où un statut bascule : juin 2026, juillet 2026" in pages
    assert "Pénalités et primes par mois (EUR)" in pages
    assert "9 000,00 €" in pages and "juin 2026 : objectif" in pages
    # months in words, one way everywhere (the header and the prose)
    assert pages.count("de juin 2026 à octobre 2026") == 3  # two page headers and the prose
    assert "du juin" not in pages and "2026-06" not in pages
    # the terms in French with French formats, and the side each change favours
    assert "phone-sl : cible ≥ 80 % → ≥ 88,5 % (plus exigeant pour le prestataire)" in pages
    assert "88.5" not in pages
    # the chart's labels are money with its currency, and never run into each other
    assert "4 800,00 €" in pages and "4 800,04 800,0" not in pages
    assert "octobre 2026 (provisoire) : objectif" in pages
    assert "provisoire au 2 nov. 2026, 08:00 (Europe/Paris) : octobre 2026" in pages
    own_words = ["Level-one multichannel customer support", "carrier outage on the client side"]
    assert english_words(pages, own_words) == []


def test_a_month_without_a_contract_in_force_has_only_the_draft(demo_env: Path) -> None:
    result = run(str(DRAFT), "--from", "2025-12", "--to", "2026-01", "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    december, january = json.loads(result.stdout)["months"]
    assert (december["in_force"], december["lifecycle"], december["flips"]) == (
        None, "final", []
    )  # fmt: skip
    # no feeds stored before June: every objective of the draft is not determined
    assert {item["status"] for item in december["draft"]["objectives"]} == {"not_determined"}
    assert january["in_force"]["contract_version"] == 2
    assert january["in_force"]["lifecycle"] == "final"


def test_the_human_table_marks_flips_and_prints_totals(demo_env: Path) -> None:
    result = run(str(DRAFT), "--from", "2026-06", "--to", "2026-07", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("FLIP") == 3
    assert (
        "total draft: credits 9600.00, earned back 0.00, incentives 1800.00,"
        " net for the provider -7800.00"
    ) in result.stdout
    assert "months where a status flips: 2026-06, 2026-07" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-10", "--to", "2026-06"],
         "error: --from 2026-10 is after --to 2026-06: give the earlier month first\n"),
        (["--from", "2026-06", "--to", "2026-12"],
         "error: month 2026-12 has not started at 2026-11-02T08:00:00+01:00:"
         " backtest past months\n"),
        (["--from", "2026-06", "--to", "2026-07", "--against", "acme"],
         "error: no contract 'acme' is stored; stored contracts: acme-l1, inhouse-l1,"
         " nordline-overflow; a backtest reads the feeds stored for a contract: name it with"
         " --against\n"),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_messages(demo_env: Path, args: list[str], message: str) -> None:
    result = run(str(DRAFT), *args, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert result.stderr == message


def test_usage_errors_exit_2_and_the_command_has_help() -> None:
    bad = run(str(DRAFT), "--from", "2026-6", "--to", "2026-07")
    assert bad.exit_code == 2
    assert "expected a month as YYYY-MM" in bad.stderr
    help_text = run("--help")
    assert help_text.exit_code == 0
    assert "Evaluate a draft contract on the stored feeds of past months" in help_text.output


def test_a_draft_is_not_loaded_from_the_contracts_folder() -> None:
    # drafts live beside contracts/, so `contract check contracts/` and the demo ignore them
    assert not DRAFT.is_relative_to(CONTRACTS)
    checked = CliRunner().invoke(main, ["contract", "check", str(DRAFT)])
    assert checked.exit_code == 0, checked.output
    assert f"ok  {DRAFT}  acme-l1 version 3" in checked.stdout


# one rule for both sides (issue 19) ---------------------------------------------------------

LATER = "2026-12-01T08:00:00+01:00"  # every month of the range settled


def backtest_at(as_of: str) -> str:
    result = run(str(DRAFT), "--from", "2026-06", "--to", "2026-10", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_the_same_backtest_whatever_was_evaluated_before(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    build_demo_database(database_url, tmp_path / "feeds", evaluated=False)
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", database_url)
    monkeypatch.setenv("SLAENGINE_REPORTS_DIR", str(tmp_path / "reports"))
    first = {as_of: backtest_at(as_of) for as_of in (AS_OF, LATER)}
    engine = make_engine(database_url)
    try:
        # a what-if: October as of the backtest's own instant and as of another, stored
        for instant in (DEMO_AS_OF, datetime(2026, 11, 1, 12, tzinfo=UTC)):
            evaluate_period(engine, "acme-l1", "2026-10", as_of=instant)
        after_what_if = {as_of: backtest_at(as_of) for as_of in (AS_OF, LATER)}
        # the finals stored, October's included (the README's `evaluate acme-l1 --period 2026-10`)
        for month in MONTHS:
            evaluate_period(engine, "acme-l1", month, as_of=datetime.now(UTC))
        after_finals = {as_of: backtest_at(as_of) for as_of in (AS_OF, LATER)}
    finally:
        engine.dispose()
    assert after_what_if == first
    assert after_finals == first
    document = json.loads(first[AS_OF])
    october = document["months"][-1]
    assert objective(october["in_force"], "email-24h")["status"] == "met"
    assert document["totals"]["in_force"]["credits"] == "12000.00"


def test_an_unsettled_month_is_provisional_on_both_sides(demo_env: Path) -> None:
    document = backtest_json()
    assert document["as_of"] == AS_OF
    *settled, october = document["months"]
    assert october["lifecycle"] == "provisional"
    for side in (october["draft"], october["in_force"]):
        assert (side["lifecycle"], side["as_of"]) == ("provisional", "2026-11-02T07:00:00+00:00")
        # same instant, same contacts: e-mails still inside their deadline count on neither side
        assert objective(side, "email-24h")["numerator"] == 1072
        assert objective(side, "email-24h")["denominator"] == 1100
    for month in settled:
        assert month["lifecycle"] == "final"
        for side in (month["draft"], month["in_force"]):
            assert side["lifecycle"] == "final" and side["as_of"] == side["settles_at"]


def test_the_human_table_marks_provisional_months(demo_env: Path) -> None:
    result = run(str(DRAFT), "--from", "2026-09", "--to", "2026-10", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "2026-10*" in result.stdout and "2026-09*" not in result.stdout
    assert (
        f"* provisional as of {AS_OF} on both sides (not settled by then): 2026-10;"
        " every other month is final on both sides"
    ) in result.stdout


def test_bar_labels_go_across_along_or_nowhere_never_over_a_neighbour() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from slaengine.adapters.pdf.money_chart import LABEL_FONT, place_label
    from slaengine.adapters.pdf.style import fonts

    font = fonts().regular
    label = "4 800,00 €"
    width = stringWidth(label, font, LABEL_FONT)
    assert place_label(label, width + 1, font).placement == "across"
    assert place_label(label, width - 1, font).placement == "along"  # upright: 5.5 pt wide
    assert place_label(label, LABEL_FONT + 0.5, font).placement == "along"
    assert place_label(label, LABEL_FONT, font).placement == "none"  # too narrow: left out
    assert place_label("", 100, font).placement == "none"
