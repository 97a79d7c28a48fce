"""`contract annex`: the service-level schedule a provider's lawyer signs, from the very YAML
the engine evaluates, in French and English, with the file's sha256 on every page."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from slaengine.adapters.yaml.contract import load_contract_file
from slaengine.cli import main
from slaengine.domain.reports.annex import build_annex, worked_example
from slaengine.i18n import using
from tests.conftest import CONTRACTS
from tests.language import english_words
from tests.test_backtest import demo_url  # noqa: F401 - the demo database fixture

ACME = CONTRACTS / "acme-l1.yaml"
DRAFT = CONTRACTS.parent / "drafts" / "acme-l1-v3-draft.yaml"
SHA = hashlib.sha256(ACME.read_bytes()).hexdigest()
OWN_WORDS = [  # the contract's own words: its title, the provider's name, an event's reason
    "Level-one multichannel customer support",
    "ACME Contact Services",
    "carrier outage on the client side",
]
COLUMNS = ["amount, currency", "month le mois"]  # the data annex's column names, each explained


def annex(*args: str) -> Path:
    result = CliRunner().invoke(main, ["contract", "annex", *args])
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


def pages_of(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


@pytest.fixture
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SLAENGINE_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    yield tmp_path / "reports"


def test_a_french_schedule_has_no_english_sentence_and_its_sha256_on_every_page(
    reports: Path,
) -> None:
    path = annex(str(ACME), "--locale", "fr_FR")
    assert path == reports / "annex-acme-l1-v2-fr_FR.pdf"
    pages = pages_of(path)
    assert len(pages) >= 2
    for page in pages:
        assert f"acme-l1 version 2 · sha256 {SHA}" in page
    text = " ".join(pages)
    assert english_words(text, [*OWN_WORDS, *COLUMNS]) == []
    assert "Annexe des niveaux de service" in text
    assert "Niveau de service, téléphone (référence « phone-sl »)" in text
    assert "Cible : ≥ 80 %" in text
    assert "Redevance mensuelle : 120 000,00 €" in text
    assert "soit 12 000,00 €" in text
    assert "plus de 2 fenêtres manquent la cible" in text  # phone-abandon: 2 misses allowed
    assert "moins de 100 contacts" in text  # phone-sl's minimum volume
    assert "Défaillance chronique : lorsque le même objectif critique est manqué 3 fois" in text
    assert "Flux « contacts »" in text and "arrived_at" in text


def test_an_english_schedule_names_every_objective_with_its_meaning(reports: Path) -> None:
    text = " ".join(pages_of(annex(str(ACME), "--locale", "en_GB")))
    contract = load_contract_file(ACME)
    for objective in contract.objectives:
        assert f"(reference “{objective.id}”)" in text
    assert "Service level, phone (reference “phone-sl”)" in text
    assert "Monthly fee: €120,000.00. Amount at risk: 10% of the monthly fee" in text
    assert "Calendar “office”: open Mon–Fri 09:00–18:00." in text
    assert "Closed on the public holidays of France (FR)." in text
    assert "in each of the next 3 months" in text


def test_the_worked_example_is_the_engine_own_credit_rule() -> None:
    contract = load_contract_file(ACME)
    with using("en_GB"):
        schedule = build_annex(contract, SHA)
    alone, every = schedule.examples
    # phone-sl carries the largest share: 40 % of 10 % of 120 000.00
    assert alone.breached == ("phone-sl",)
    assert alone.per_objective == {"phone-sl": Decimal("4800.00")}
    assert alone.total == Decimal("4800.00")
    # every allocated objective at once: 150 % of 12 000.00 = 18 000.00, capped at 12 000.00
    assert every.uncapped == Decimal("18000.00") and every.total == Decimal("12000.00")
    assert every.capped and sum(every.per_objective.values()) == Decimal("12000.00")
    words = " ".join(p for s in schedule.sections for p in s.paragraphs)
    assert "the provider owes: service level, phone (reference “phone-sl”): €4,800.00." in words
    assert "Their sum, €18,000.00, exceeds the amount at risk" in words


def test_the_worked_example_equals_evaluate_on_a_breached_month(
    demo_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", demo_url)
    monkeypatch.setenv("SLAENGINE_DATA_URL", str(Path(demo_url.removeprefix("sqlite:///")).parent
                                                  / "data"))  # fmt: skip
    result = CliRunner().invoke(main, ["evaluate", "acme-l1", "--period", "2026-10", "--json"])
    assert result.exit_code == 0, result.output
    october = json.loads(result.stdout)
    breached = tuple(o["id"] for o in october["objectives"] if o["status"] == "breached")
    # settled: ACME's bad phone week, and e-mails answered late (1161 of 1242 in time)
    assert breached == ("phone-sl", "phone-abandon", "email-24h")
    contract = load_contract_file(ACME)
    example = worked_example(contract, breached)
    credits = {o["id"]: o["credit"] for o in october["objectives"] if o["id"] in breached}
    assert {key: str(amount) for key, amount in example.per_objective.items()} == credits
    assert str(example.total) == october["credits"]["total"] == "12000.00"
    schedule = build_annex(contract, SHA)
    assert schedule.examples[0].per_objective["phone-sl"] == Decimal(credits["phone-sl"])


def test_a_draft_file_works_without_being_stored(reports: Path, tmp_path: Path) -> None:
    output = tmp_path / "draft-schedule.pdf"
    assert annex(str(DRAFT), "--locale", "fr_FR", "--output", str(output)) == output
    text = " ".join(pages_of(output))
    draft_sha = hashlib.sha256(DRAFT.read_bytes()).hexdigest()
    assert f"acme-l1 version 3 · sha256 {draft_sha}" in text
    assert "Primes" in text and "≥ 88,7 %" in text  # the draft's phone-sl bonus
    assert "Amélioration continue : après 12 mois consécutifs" in text
    assert english_words(text, [*OWN_WORDS, *COLUMNS]) == []
    assert not (tmp_path / "none.db").exists()  # nothing opened, nothing stored


def test_a_stored_version_carries_the_stored_file_sha256(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("SLAENGINE_REPORTS_DIR", str(tmp_path / "reports"))
    runner = CliRunner()
    assert runner.invoke(main, ["contract", "load", str(ACME)]).exit_code == 0
    for reference in ("acme-l1@2", "acme-l1"):
        text = " ".join(pages_of(annex(reference, "--locale", "en_GB")))
        assert f"acme-l1 version 2 · sha256 {SHA}" in text
    missing = runner.invoke(main, ["contract", "annex", "acme-l1@7"])
    assert missing.exit_code == 1
    assert missing.stderr == (
        "error: no stored version 7 of contract 'acme-l1' (stored versions: 2); load it with"
        " `slaengine contract load` or give a file\n"
    )
    bad = runner.invoke(main, ["contract", "annex", "acme-l1", "--locale", "de_DE"])
    assert bad.exit_code == 2
    help_text = runner.invoke(main, ["contract", "annex", "--help"])
    assert help_text.exit_code == 0
    assert "service-level schedule" in help_text.output


RELIEF_YAML = (
    "      queues: [vip, billing]\n      approved_by: j.martin\n"
    "  relief:\n    request_within: 5 business days\n    calendar: office\n"
    "    max_hours_per_month: 7.5\n"
)
RELIEF_LEAD = {
    "en_GB": "Relief: an incident that excuses the provider may be declared while the contract"
    " runs. Only relief approved by someone other than the requester excludes contacts, like an"
    " excluded event.",
    "fr_FR": "Exonération : un incident qui dégage la responsabilité du prestataire peut être"
    " déclaré en cours d'exécution du contrat. Seule une exonération approuvée par une autre"
    " personne que le demandeur exclut des contacts, comme un événement exclu.",
}


def relief_contract(path: Path, relief: str = RELIEF_YAML) -> Path:
    """ACME version 2 whose event names queues, with an `exclusions.relief` block."""
    text = ACME.read_text(encoding="utf-8")
    assert "      approved_by: j.martin\n" in text
    path.write_text(text.replace("      approved_by: j.martin\n", relief, 1), encoding="utf-8")
    return path


def exclusions_section(path: Path, code: str) -> tuple[str, ...]:
    with using(code):
        schedule = build_annex(load_contract_file(path), SHA)
    titles = {"en_GB": "Exclusions and relief", "fr_FR": "Exclusions et exonérations"}
    [section] = [s for s in schedule.sections if s.title == titles[code]]
    return section.paragraphs


def test_relief_rules_and_event_queues_are_said_from_the_contract_file(tmp_path: Path) -> None:
    path = relief_contract(tmp_path / "acme-relief.yaml")
    _band, event, relief = exclusions_section(path, "en_GB")
    assert event == (
        "Excluded event “carrier-outage-0304”: contacts on phone in queues vip, billing arriving"
        " 4 Mar 2026, 10:00 – 14:30 (Europe/Paris) are excluded (carrier outage on the client"
        " side; approved by j.martin)."
    )
    assert relief == (
        RELIEF_LEAD["en_GB"] + " It must be requested within 5 business days after the incident"
        " ends (counted on calendar “office”). At most 7.5\u00a0h of approved relief per month,"
        " all channels together; relief beyond this is refused."
    )
    _band, event, relief = exclusions_section(path, "fr_FR")
    assert event == (
        "Événement exclu « carrier-outage-0304 » : les contacts téléphone des files vip, billing"
        " arrivés le 4 mars 2026, 10:00 – 14:30 (Europe/Paris) sont exclus (motif : carrier"
        " outage on the client side ; approuvé par j.martin)."
    )
    assert relief == (
        RELIEF_LEAD["fr_FR"] + " Elle doit être demandée dans un délai de 5 jours ouvrés après la"
        " fin de l'incident (décompté sur le calendrier «\u00a0office\u00a0»). Au plus"
        " 7,5\u00a0h d'exonération approuvée par mois, tous canaux confondus ; toute exonération"
        " au-delà est refusée."
    )


def test_relief_without_a_deadline_nor_an_allowance_says_so(tmp_path: Path) -> None:
    path = relief_contract(
        tmp_path / "acme-open.yaml",
        "      approved_by: j.martin\n  relief:\n    request_within: 1 day\n",
    )
    *_others, relief = exclusions_section(path, "en_GB")
    assert relief == RELIEF_LEAD["en_GB"] + (
        " It must be requested within 1 day after the incident ends."
    )
    path = relief_contract(
        tmp_path / "acme-any.yaml", "      approved_by: j.martin\n  relief: {}\n"
    )
    *_others, relief = exclusions_section(path, "fr_FR")
    assert relief == RELIEF_LEAD["fr_FR"] + (
        " Elle peut être demandée à tout moment après la fin de l'incident."
    )


def test_the_schedule_pdf_carries_the_relief_paragraph_in_both_languages(
    reports: Path, tmp_path: Path
) -> None:
    path = relief_contract(tmp_path / "acme-relief.yaml")
    english = " ".join(pages_of(annex(str(path), "--locale", "en_GB")))
    assert "It must be requested within 5 business days after the incident ends" in english
    assert "At most 7.5 h of approved relief per month" in english.replace("\u00a0", " ")
    french = " ".join(pages_of(annex(str(path), "--locale", "fr_FR")))
    assert "Elle doit être demandée dans un délai de 5 jours ouvrés" in french
    assert "des files vip, billing" in french
    assert english_words(french, [*OWN_WORDS, *COLUMNS]) == []
