"""Reports in French and English (SPEC section 4, `[reports] locale`): words from the gettext
catalogue, numbers, money, percentages, dates and instants from Babel's locale data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from pypdf import PdfReader

from slaengine import i18n
from slaengine.adapters.pdf import render_audit, render_portfolio, render_scorecard
from slaengine.adapters.pdf.document import fitted
from slaengine.domain.reports import build_audit, build_portfolio, build_scorecard
from slaengine.domain.reports.text import (
    describe_objective,
    format_delta,
    format_money,
    format_target,
    format_value,
    status_mark,
    window_words,
)
from slaengine.i18n import (
    UnsupportedLocale,
    activate,
    current,
    deactivate,
    read_catalogue,
    report_locale,
    using,
)
from tests.reports_builders import acme, benchmark, october, september

NNBSP, NBSP = "\u202f", "\u00a0"  # Babel's fr_FR group separator; the space before € and %
ROOT = Path(__file__).resolve().parents[1]


# formats ----------------------------------------------------------------------------------


def test_french_money_percentages_and_counts_follow_the_locale() -> None:
    fr = report_locale("fr_FR")
    assert fr.money(Decimal("12000"), "EUR") == f"12{NNBSP}000,00{NBSP}€"
    assert fr.percent(0.856) == f"85,6{NBSP}%"
    assert fr.count(2326) == f"2{NNBSP}326"
    assert fr.decimal(1234.45, 1) == f"1{NNBSP}234,5"  # half up, not half even


def test_english_money_percentages_and_counts_follow_the_locale() -> None:
    en = report_locale("en_GB")
    assert en.money(Decimal("12000"), "EUR") == "€12,000.00"
    assert en.percent(0.856) == "85.6%"
    assert en.count(2326) == "2,326"
    assert en.count(Decimal("1234.5")) == "1,234.50"


def test_instants_print_in_the_contract_zone_with_its_name() -> None:
    instant = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")
    assert report_locale("fr_FR").instant(instant, paris) == "2 nov. 2026, 08:00 (Europe/Paris)"
    assert report_locale("en_GB").instant(instant, paris) == "2 Nov 2026, 08:00 (Europe/Paris)"


def test_an_interval_within_one_day_names_the_day_once() -> None:
    paris = ZoneInfo("Europe/Paris")
    start, end = datetime(2026, 3, 4, 10, tzinfo=paris), datetime(2026, 3, 4, 14, 30, tzinfo=paris)
    assert (
        report_locale("fr_FR").interval(start, end) == "4 mars 2026, 10:00 – 14:30 (Europe/Paris)"
    )
    later = datetime(2026, 3, 5, 9, tzinfo=paris)
    assert report_locale("en_GB").interval(start, later) == (
        "4 Mar 2026, 10:00 (Europe/Paris) – 5 Mar 2026, 09:00 (Europe/Paris)"
    )


def test_months_and_days_have_their_names_in_each_language() -> None:
    assert report_locale("fr_FR").month("2026-10") == "octobre 2026"
    assert report_locale("fr_FR").month("2026-09", short=True) == "sept. 2026"
    assert report_locale("en_GB").month("2026-10") == "October 2026"
    assert report_locale("fr_FR").date(date(2026, 10, 3)) == "3 oct. 2026"


def test_an_unsupported_locale_is_refused_with_the_choices() -> None:
    with pytest.raises(UnsupportedLocale, match="use one of fr_FR, en_GB"):
        report_locale("de_DE")


def test_using_a_locale_restores_the_previous_one_after_the_block() -> None:
    assert current().code == "en_GB"
    with using("fr_FR"):
        assert current().code == "fr_FR"
    assert current().code == "en_GB"
    token = activate("fr_FR")
    assert format_value(0.5, "csat") == f"50,0{NBSP}%"
    deactivate(token)
    assert format_value(0.5, "csat") == "50.0%"


# words ------------------------------------------------------------------------------------


def test_figures_and_words_read_in_french() -> None:
    with using("fr_FR"):
        assert format_value(28.44, "average_speed_of_answer") == f"28,4{NBSP}s"
        assert format_value(None, "csat") == "n.d."
        assert format_delta(-0.0123, "service_level") == f"-1,2{NBSP}pt"
        assert format_delta(2, "nps") == f"+2,0{NBSP}pts"
        assert format_money(Decimal("4800"), "EUR") == f"4{NNBSP}800,00{NBSP}€"
        assert format_target(">= 80%", 0.8, "service_level") == f"≥{NBSP}80{NBSP}%"
        assert format_target("<= 30s", 30.0, "average_speed_of_answer") == f"≤{NBSP}30{NBSP}s"
        assert status_mark("breached") == "✖ manqué"
        assert window_words(acme().objective("phone-abandon")) == "jour, 2 manquements tolérés"
        chat = describe_objective(acme().objective("chat-sl"))
        assert chat == "traités en 1\u00a0min ÷ présentés"


def test_a_message_translated_in_two_catalogue_files_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fr_FR" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entry = 'msgid "met"\nmsgstr "atteint"\n'
    (folder / "slaengine.po").write_text(entry, encoding="utf-8")
    (folder / "relief.po").write_text(entry, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"relief.po: 'met' is already in slaengine.po"):
        read_catalogue("fr_FR")


def test_every_message_of_the_reports_has_a_french_translation() -> None:
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    catalog = read_catalogue("fr_FR")
    untranslated = []
    for folder in ("slaengine/domain", "slaengine/adapters", "slaengine/services"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=keywords
        ):
            key = message[0] if isinstance(message, tuple) else message
            entry = catalog.get(key)
            strings = entry.string if entry is not None else ""
            if not entry or not all(strings if isinstance(strings, tuple) else (strings,)):
                untranslated.append(key)
    assert untranslated == []


# content objects in French ----------------------------------------------------------------


def test_a_french_scorecard_shows_french_figures_and_says_why_a_status_is_what_it_is() -> None:
    with using("fr_FR"):
        card = build_scorecard(acme(), october(), history=[september()])
    rows = {row.objective_id: row for row in card.rows}
    sl = rows["phone-sl"]
    assert (sl.target, sl.actual, sl.figures, sl.status_text, sl.level_text) == (
        f"≥{NBSP}80{NBSP}%",
        f"81,2{NBSP}%",
        f"8{NNBSP}123 / 10{NNBSP}000",
        "respecté",
        "critique",
    )
    # 3 breached days among 31 with 2 allowed: the average alone (4.7 %) looks met
    assert rows["phone-abandon"].why == "3 jours manqués, tolérance : 2"
    assert rows["phone-asa"].figures == f"10{NNBSP}000 traités"
    assert sl.trend_text == f"▲ +1,2{NBSP}pt"


def test_average_kpis_show_the_answered_contacts_not_a_sum_of_seconds() -> None:
    rows = {row.objective_id: row for row in build_scorecard(acme(), october()).rows}
    asa = next(r for r in october().objectives if r.objective_id == "phone-asa")
    assert rows["phone-asa"].figures == f"{asa.denominator:,} answered"


def test_a_contract_without_credits_says_so() -> None:
    contract = acme().model_copy(update={"credits": None})
    evaluation = october()
    nothing = replace(
        evaluation,
        credits=replace(evaluation.credits, at_risk=Decimal("0"), total=Decimal("0")),
    )
    assert build_scorecard(contract, nothing).has_credits is False
    assert build_scorecard(acme(), october()).has_credits is True


def test_the_portfolio_lists_every_breached_objective_not_only_critical_ones() -> None:
    card = build_scorecard(acme(), october(), history=[september()])
    (row,) = build_portfolio("2026-10", [card]).rows
    assert [(b.objective_id, b.level) for b in row.breached] == [
        ("phone-abandon", "key"),
        ("email-24h", "critical"),
    ]
    assert row.critical_met == "1 of 2 critical objectives met"


def test_the_portfolio_history_has_each_provider_credits_and_critical_share_by_month() -> None:
    card = build_scorecard(acme(), october(), history=[september()])
    portfolio = build_portfolio("2026-10", [card])
    assert portfolio.periods == ("2026-09", "2026-10")
    (history,) = portfolio.history
    sept, octo = (m for m in card.months)
    assert history.credits == (sept.net_credits, octo.net_credits)
    assert history.critical_met == (
        sept.critical_met / sept.critical_total,
        octo.critical_met / octo.critical_total,
    )
    assert octo.critical_met == 1 and octo.critical_total == 2


def test_the_audit_lists_every_window_of_a_day_objective() -> None:
    audit = build_audit(
        acme(), october(), spec_text="x", contract_file_hash="h", engine_version="0"
    )
    abandon = next(f for f in audit.formulas if f.objective_id == "phone-abandon")
    assert len(abandon.window_rows) == 31
    third = abandon.window_rows[2]  # 60 abandons of 1000: breached
    assert (third.window, third.numerator, third.denominator, third.value, third.status) == (
        "3 Oct 2026",
        "60",
        "1,000",
        "6.0%",
        "✖ breached",
    )
    assert all(not f.window_rows for f in audit.formulas if f.objective_id == "phone-sl")


# PDFs in French ---------------------------------------------------------------------------


def flat(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_a_french_scorecard_pdf_has_french_labels_and_formats(tmp_path: Path) -> None:
    with using("fr_FR"):
        card = build_scorecard(acme(), october(), history=[september()], benchmark=benchmark())
        text = flat(render_scorecard(card, tmp_path / "s.pdf"))
    for expected in (
        "Tableau de bord mensuel du prestataire",
        "Pénalités de service",
        "Registre des manquements",
        "Position dans le comparatif",
        "octobre 2026",
        "81,2",
        "respecté",
        "manqué",
        "Évolution",
        "vs sept. 2026",
        "24 heures calendaires",
        "page 1 sur",
    ):
        assert expected in text, expected
    assert "€" in text and "EUR" not in text.replace("(EUR)", "")


def test_french_portfolio_and_audit_pdfs_are_in_french(tmp_path: Path) -> None:
    with using("fr_FR"):
        card = build_scorecard(acme(), october(), history=[september()])
        portfolio = flat(render_portfolio(build_portfolio("2026-10", [card]), tmp_path / "p.pdf"))
        audit = build_audit(
            acme(), october(), spec_text="x", contract_file_hash="h", engine_version="0"
        )
        audited = flat(render_audit(audit, tmp_path / "a.pdf"))
    assert "Portefeuille des prestataires, octobre 2026" in portfolio
    assert "Objectifs critiques respectés par mois" in portfolio
    assert "chaque fenêtre" in audited
    assert "Rapport d'audit" in audited


def test_a_long_provider_name_is_cut_so_it_never_overprints_the_header() -> None:
    line = "ACME " + "Very Long Provider Name " * 10
    cut = fitted(line, 200)
    assert cut.endswith("…") and len(cut) < len(line)
    assert fitted("short", 200) == "short"


def test_a_scorecard_with_a_long_provider_name_still_prints_its_report_name(
    tmp_path: Path,
) -> None:
    long_name = "Prestataire " + "Extrêmement Long " * 10
    card = build_scorecard(acme(name=long_name), october())
    first = PdfReader(render_scorecard(card, tmp_path / "s.pdf")).pages[0].extract_text()
    assert "Monthly provider scorecard" in first
    assert "…" in first


def test_week_window_objectives_show_each_of_their_weeks() -> None:
    from slaengine.domain.evaluation.results import WindowResult

    evaluation = october()
    starts = [date(2026, 10, 1), date(2026, 10, 5), date(2026, 10, 12)]
    ends = [date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19)]
    weeks = tuple(
        WindowResult(start, end, status, value, num, 100, 100)
        for start, end, status, value, num in zip(
            starts,
            ends,
            ["met", "breached", "met"],
            [0.85, 0.70, 0.90],
            [85, 70, 90],
            strict=True,
        )
    )
    weekly = replace(evaluation.objectives[0], windows=weeks, windows_breached=1)
    card = build_scorecard(acme(), replace(evaluation, objectives=(weekly,)))
    ((objective_id, lines),) = card.weeks
    assert objective_id == "phone-sl"
    assert [(w.window, w.numerator, w.value, w.status) for w in lines] == [
        ("1 Oct 2026 – 4 Oct 2026", "85", "85.0%", "✔ met"),
        ("5 Oct 2026 – 11 Oct 2026", "70", "70.0%", "✖ breached"),
        ("12 Oct 2026 – 18 Oct 2026", "90", "90.0%", "✔ met"),
    ]
    assert card.rows[0].why == "1 week missed, 0 allowed"
    assert build_scorecard(acme(), october()).weeks == ()  # day windows are charted instead


def test_every_quarantine_reason_code_has_a_label_shown_beside_its_code() -> None:
    from slaengine.adapters.feeds.schemas import REASONS
    from slaengine.domain.reports.quarantine_words import REASON_LABELS, reasons_words

    assert set(REASON_LABELS) == set(REASONS)
    with using("fr_FR"):
        shown = reasons_words({"bad_timestamp": 3, "csat_out_of_range": 1})
    assert shown == (  # in the order of the codes
        "horodatage invalide (bad_timestamp)\u00a0: 3\u00a0;"
        " CSAT hors plage (csat_out_of_range)\u00a0: 1"
    )


def test_the_engine_notes_and_reasons_read_in_french() -> None:
    from slaengine.domain.reports.engine_words import engine_words

    with using("fr_FR"):
        assert engine_words("volume 12 under min_volume 100") == (
            "12 contacts, sous le volume minimum de 100"
        )
        assert engine_words("no contacts in scope") == "aucun contact dans le périmètre"
        assert (
            engine_words(
                "contract acme-l1 version 2 (in force from 2026-01-01, file sha256 9d09778e7d75)"
            )
            == "contrat acme-l1 version 2 (en vigueur depuis le 1 janv. 2026,"
            " fichier sha256 9d09778e7d75)"
        )
        assert engine_words("something the engine never said") == "something the engine never said"
