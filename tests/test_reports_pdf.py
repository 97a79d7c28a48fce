"""How reports look: PDF text carries the key figures, untrusted text prints as written,
audit PDFs are byte-identical, long tables split with their header repeated."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from slaengine.adapters.csv.report import write_objectives_csv
from slaengine.adapters.pdf import (
    render_audit,
    render_benchmark,
    render_portfolio,
    render_scorecard,
)
from slaengine.adapters.pdf.style import fonts
from slaengine.domain.evaluation.results import WindowResult
from slaengine.domain.reports import build_audit, build_portfolio, build_scorecard
from tests.reports_builders import acme, acme_text, benchmark, feed, october, september

NASTY = "ACME <EU> & Co <b>x</b>"


def pages_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def flat(path: Path) -> str:
    return " ".join(" ".join(pages_text(path)).split())


def test_scorecard_pdf_shows_provider_credits_and_actual_values(tmp_path: Path) -> None:
    card = build_scorecard(
        acme(), october(), history=[september()], feeds=[feed()], benchmark=benchmark()
    )
    text = flat(render_scorecard(card, tmp_path / "s.pdf"))
    for expected in (
        "ACME Contact Services",
        "€6,000.00",
        "€4,800.00",
        "81.2%",
        "8,123 / 10,000",
        "Breach register",
        "acme-contacts-2026-10.csv",
        "Benchmark position",
        "opening hours 'opening-hours'",
        "3.95",
    ):
        assert expected in text
    assert "page 1 of " in text


def test_status_symbols_print_with_the_chosen_font(tmp_path: Path) -> None:
    text = flat(render_scorecard(build_scorecard(acme(), october()), tmp_path / "s.pdf"))
    assert ("✖ breached" if fonts().unicode else "X breached") in text


def test_untrusted_names_print_exactly_as_written(tmp_path: Path) -> None:
    evaluation = october()
    chat = replace(evaluation.objectives[2], reason="queue <vip> & <i>gold</i>")
    evaluation = replace(
        evaluation, objectives=(*evaluation.objectives[:2], chat, *evaluation.objectives[3:])
    )
    bad_feed = feed(name="acme<&>.csv", reasons={"bad <tag> & more": 2})
    card = build_scorecard(acme(name=NASTY), evaluation, feeds=[bad_feed])
    text = flat(render_scorecard(card, tmp_path / "s.pdf"))
    assert NASTY in text
    assert "queue <vip> & <i>gold</i>" in text
    assert "bad <tag> & more: 2" in text
    portfolio = build_portfolio("2026-10", [card])
    assert NASTY in flat(render_portfolio(portfolio, tmp_path / "p.pdf"))
    audit = build_audit(
        acme(name=NASTY),
        evaluation,
        spec_text="name: <b>&</b>",
        contract_file_hash="d" * 64,
        engine_version="0.1.0",
        feeds=[bad_feed],
    )
    audit_text = flat(render_audit(audit, tmp_path / "a.pdf"))
    assert NASTY in audit_text
    assert "name: <b>&</b>" in audit_text


def test_audit_pdf_is_byte_identical_for_the_same_inputs(tmp_path: Path) -> None:
    def audit() -> object:
        return build_audit(
            acme(),
            october(),
            spec_text=acme_text(),
            contract_file_hash="d" * 64,
            engine_version="0.1.0",
            feeds=[feed()],
        )

    first = render_audit(audit(), tmp_path / "one.pdf").read_bytes()  # type: ignore[arg-type]
    second = render_audit(audit(), tmp_path / "two.pdf").read_bytes()  # type: ignore[arg-type]
    assert first == second
    assert audit().inputs_sha256 in flat(tmp_path / "one.pdf")  # type: ignore[attr-defined]


def test_audit_pdf_shows_formulas_and_spec(tmp_path: Path) -> None:
    audit = build_audit(
        acme(),
        october(),
        spec_text=acme_text(),
        contract_file_hash="d" * 64,
        engine_version="0.1.0",
        feeds=[feed()],
    )
    text = flat(render_audit(audit, tmp_path / "a.pdf"))
    for expected in (
        "8,123 ÷ 10,000 → 81.2%",
        "carrier-outage-0304",
        "opening hours 'opening-hours'",
        "approved_by: j.martin",
        "slaengine 0.1.0",
        "c" * 20,
    ):
        assert expected in text


def test_long_breach_register_splits_across_pages_with_its_header_repeated(tmp_path: Path) -> None:
    evaluation = october()
    abandon = evaluation.objectives[1]
    breached = tuple(
        WindowResult(
            date(2026, 10, 1) + timedelta(days=n),
            date(2026, 10, 2) + timedelta(days=n),
            "breached",
            0.09,
            90,
            1000,
            1000,
        )
        for n in range(31)
    )
    copies = tuple(
        replace(abandon, objective_id=f"abandon-{n}", windows=breached, windows_breached=31)
        for n in range(4)
    )
    card = build_scorecard(acme(), replace(evaluation, objectives=copies))
    assert len(card.breaches) == 4 * 32
    pages = pages_text(render_scorecard(card, tmp_path / "long.pdf"))
    with_register = [p for p in pages if "abandon-" in p and re.search(r"\b\d{1,2} Oct 2026", p)]
    assert len(with_register) >= 3
    assert all("Exclusions applied" in page for page in with_register)


def test_portfolio_and_benchmark_pdfs_carry_their_figures(tmp_path: Path) -> None:
    card = build_scorecard(acme(), october(), benchmark=benchmark())
    text = flat(
        render_portfolio(build_portfolio("2026-10", [card], [benchmark()]), tmp_path / "p.pdf")
    )
    assert "Provider portfolio, October 2026" in text
    assert "€6,000.00" in text
    bench = flat(render_benchmark(benchmark(), tmp_path / "b.pdf"))
    for expected in ("inhouse-l1", "mixed", "86.0%", "5.10", "phone 84%, chat 11%, email 6%"):
        assert expected in bench


def test_csv_twin_has_one_line_per_objective_then_the_credit_totals(tmp_path: Path) -> None:
    card = build_scorecard(acme(), october(), history=[september()])
    path = write_objectives_csv(card, tmp_path / "s.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [line["objective"] for line in lines] == [
        "phone-sl",
        "phone-abandon",
        "chat-sl",
        "email-24h",
        "phone-asa",
        "fcr",
        "total credits owed",
        "earned back",
        "net credits owed",
        "at risk this month",
    ]
    sl = lines[0]
    # 8123 / 10000 = 81.23 %; last month 80 %: +1.23 points
    assert (sl["value"], sl["unit"], sl["numerator"], sl["denominator"], sl["status"]) == (
        "81.23",
        "%",
        "8123",
        "10000",
        "met",
    )
    assert sl["trend (value unit)"] == "1.23"
    assert lines[3]["credit (EUR)"] == "4800.00"
    assert lines[3]["definition"] == "answered within 24\u00a0h on the business clock of 'office'"
    assert (lines[2]["value"], lines[2]["numerator"]) == ("", "")
    assert [line["credit (EUR)"] for line in lines[-4:]] == [
        "7200.00",
        "1200.00",
        "6000.00",
        "12000.00",
    ]


def test_french_csv_twin_uses_semicolons_decimal_commas_and_french_headers(
    tmp_path: Path,
) -> None:
    from slaengine.i18n import using

    with using("fr_FR"):
        card = build_scorecard(acme(), october(), history=[september()])
        path = write_objectives_csv(card, tmp_path / "s.csv")
    text = path.read_text(encoding="utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.split(";")[:4] == ["contrat", "version", "période", "objectif"]
    assert "pénalité (EUR)" in header.split(";")
    assert first.split(";")[10:14] == ["81,23", "%", "8123", "10000"]
    assert first.split(";")[14] == "respecté"
    assert text.splitlines()[-1].split(";")[3:4] == ["en jeu ce mois"]
    assert text.splitlines()[-1].split(";")[-2] == "12000,00"


def test_csv_twin_neutralises_cells_a_spreadsheet_would_run_as_formulas(tmp_path: Path) -> None:
    from slaengine.adapters.csv.report import neutralised

    assert [neutralised(v) for v in ("=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx", "ok")] == [
        "'=1+1",
        "'+33",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "ok",
    ]
    evaluation = october()
    hostile = replace(evaluation.objectives[2], reason='=HYPERLINK("http://x","y")')
    card = build_scorecard(acme(), replace(evaluation, objectives=(hostile,)))
    path = write_objectives_csv(card, tmp_path / "s.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        (line, *_totals) = list(csv.DictReader(handle))
    assert line["reason"] == '\'=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("report", ["scorecard", "audit"])
def test_a_report_that_cannot_be_written_says_where(tmp_path: Path, report: str) -> None:
    from slaengine.errors import ReportError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    card = build_scorecard(acme(), october())
    with pytest.raises(ReportError, match="cannot"):
        if report == "scorecard":
            render_scorecard(card, blocker / "x.pdf")
        else:
            audit = build_audit(
                acme(), october(), spec_text="", contract_file_hash="", engine_version="0"
            )
            render_audit(audit, blocker / "x.pdf")


@pytest.fixture
def without_dejavu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from slaengine.adapters.pdf import style

    monkeypatch.setattr(style, "FONT_DIRS", ())
    style.fonts.cache_clear()
    style.styles.cache_clear()
    yield
    monkeypatch.undo()
    style.fonts.cache_clear()
    style.styles.cache_clear()


def test_without_dejavu_symbols_fall_back_to_ascii(without_dejavu: None, tmp_path: Path) -> None:
    card = build_scorecard(acme(name=NASTY), october(), history=[september()])
    text = flat(render_scorecard(card, tmp_path / "s.pdf"))
    assert fonts().regular == "Helvetica"
    assert "X breached" in text
    assert "OK met" in text
    assert "up +1.2 pt" in text
    assert "abandons <= 5 s" in text
    assert NASTY in text
    assert "✔" not in text


def test_charts_draw_months_without_any_value(tmp_path: Path) -> None:
    evaluation = october()
    empty = tuple(replace(r, value=None, status="not_determined") for r in evaluation.objectives)
    card = build_scorecard(acme(), replace(evaluation, objectives=empty))
    assert all(p.value is None for series in card.trends for p in series.points)
    assert "phone-sl (%): last month, target" in flat(render_scorecard(card, tmp_path / "s.pdf"))
