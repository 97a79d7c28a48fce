"""`contract diff`: every change in words, with the side it favours, from files or the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from slaengine.adapters.yaml.contract import load_contract_file, parse_contract_text
from slaengine.cli import main
from slaengine.domain.contract.units import Percent, Target
from slaengine.domain.contract.wording import words
from slaengine.domain.procurement.diff import changes_json, diff_contracts
from tests.conftest import CONTRACTS

ROOT = CONTRACTS.parent
DRAFT = ROOT / "drafts" / "acme-l1-v3-draft.yaml"
ACME = CONTRACTS / "acme-l1.yaml"


def acme_with(*replacements: tuple[str, str]) -> str:
    text = ACME.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def lines(old_text: str, new_text: str) -> list[str]:
    old, new = parse_contract_text(old_text), parse_contract_text(new_text)
    return [change.text for change in diff_contracts(old, new)]


def test_values_read_as_a_procurement_manager_writes_them() -> None:
    assert words(Target.parse(">= 86%")) == "≥ 86 %"
    assert words(Target.parse("<= 30s")) == "≤ 30 s"
    assert words(Target.parse(">= 30")) == "≥ 30"
    assert words(Percent.parse("12.5%")) == "12.5 %"


def test_the_same_contract_has_no_differences() -> None:
    acme = load_contract_file(ACME)
    assert diff_contracts(acme, acme) == ()


def test_an_easier_target_favours_the_provider() -> None:
    text = acme_with(('target: ">= 80%"', 'target: ">= 86%"'))
    easier = acme_with(('target: ">= 80%"', 'target: ">= 85%"'))
    assert lines(text, easier) == ["phone-sl: target ≥ 86 % → ≥ 85 % (easier for the provider)"]


ASA = "kpi: average_speed_of_answer\n    target: "


def test_objective_fields_change_one_by_one_with_their_side() -> None:
    changed = acme_with(
        ("threshold: 20s", "threshold: 30s"),
        ("window: day\n    allowed_misses: 2", "window: day\n    allowed_misses: 3"),
        ("min_volume: 100", "min_volume: 200"),
        ("short_abandon: 5s\n    calendar", "short_abandon: 10s\n    calendar"),
        ("satisfied_from: 4", "satisfied_from: 5"),
        ("denominator: offered\n", "denominator: answered\n"),
        (ASA + '"<= 30s"\n    window: month\n    level: key',
         ASA + '"<= 25s"\n    window: month\n    level: critical'),
    )  # fmt: skip
    assert lines(ACME.read_text(encoding="utf-8"), changed) == [
        "phone-sl: threshold 20s → 30s (easier for the provider)",
        "phone-sl: short_abandon 5s → 10s (easier for the provider)",
        "phone-sl: min_volume 100 → 200 (easier for the provider)",
        "phone-abandon: allowed_misses 2 → 3 (easier for the provider)",
        "chat-sl: denominator offered → answered",
        "phone-asa: target ≤ 30 s → ≤ 25 s (harder for the provider)",
        "phone-asa: level key → critical (harder for the provider)",
        "csat: satisfied_from 4 → 5 (harder for the provider)",
    ]


def test_objectives_added_and_removed() -> None:
    nps = '  - id: nps\n    kpi: nps\n    target: ">= 30"\n    window: month\n    level: key\n'
    aht = (
        "  - id: aht\n    channel: phone\n    kpi: average_handle_time\n"
        '    target: "<= 300s"\n    window: month\n    level: key\n'
    )
    changed = acme_with((nps, aht))
    assert lines(ACME.read_text(encoding="utf-8"), changed) == [
        "aht: objective added (average_handle_time phone, ≤ 300 s, per month, key)"
        " (new obligation)",
        "nps: objective removed (nps phone, chat, email, sms, social, mail, ≥ 30, per month, key)"
        " (one obligation less)",
    ]


def test_money_terms_say_whom_they_favour() -> None:
    changed = acme_with(
        ("monthly_fee: 120000.00", "monthly_fee: 125000.00"),
        ("at_risk: 10%", "at_risk: 12%"),
        ("    fcr: 10%\n", ""),
        ("months: 3", "months: 2"),
        ("over_forecast: 10%", "over_forecast: 5%"),
        ("within_months: 6", "within_months: 12"),
    )
    assert lines(ACME.read_text(encoding="utf-8"), changed) == [
        "credits: monthly fee 120 000.00 → 125 000.00 (favours the provider)",
        "credits: at risk 10 % → 12 % (favours the client)",
        "credits: earn-back months 3 → 2 (favours the provider)",
        "fcr: allocation 10 % → none (favours the provider)",
        "volume band: over forecast 10 % → 5 % (favours the provider)",
        "chronic failure: within months 6 → 12 (favours the client)",
    ]


def test_the_example_draft_against_acme_version_2() -> None:
    acme, draft = load_contract_file(ACME), load_contract_file(DRAFT)
    changes = diff_contracts(acme, draft)
    assert [change.text for change in changes] == [
        "effective from 2026-01-01 → 2027-01-01",
        "effective to 2026-12-31 → 2027-12-31",
        "phone-sl: target ≥ 80 % → ≥ 88.5 % (harder for the provider)",
        "email-24h: target ≥ 95 % → ≥ 90 % (easier for the provider)",
        "opening-hours: closed date 2027-12-24 added",
        "opening-hours: closed date 2026-12-24 removed",
        "incentives: added, cap 3 % of the monthly fee (favours the provider)",
        "phone-sl: bonus added, 50 % of the cap when ≥ 88.7 % (favours the provider)",
        "csat: bonus added, 50 % of the cap when ≥ 89 % (favours the provider)",
        "event carrier-outage-0304 removed: 2026-03-04T10:00:00+01:00 to"
        " 2026-03-04T14:30:00+01:00, phone: carrier outage on the client side"
        " (favours the client)",
        "chronic failure: breaches 3 → 2 (favours the client)",
        "continuous improvement: added: targets move halfway to the achieved average after 12"
        " months above them (favours the client)",
    ]
    summary = changes_json(acme, draft, changes)["summary"]
    assert summary == {"changes": 12, "favour_provider": 4, "favour_client": 4, "neutral": 4}


def test_incentive_terms_changed_field_by_field() -> None:
    draft = DRAFT.read_text(encoding="utf-8")
    changed = (
        draft.replace('{when: ">= 88.7%", share: 50%}', '{when: ">= 89%", share: 40%}')
        .replace("cap: 3%", "cap: 2%")
        .replace("offset_credits: false", "offset_credits: true")
    )
    assert lines(draft, changed) == [
        "incentives: cap 3 % → 2 % (favours the client)",
        "phone-sl: bonus share 50 % → 40 % (favours the client)",
        "phone-sl: bonus when ≥ 88.7 % → ≥ 89 % (favours the client)",
        "incentives: offset against credits no → yes (favours the client)",
    ]


def test_the_diff_command_prints_sections_and_a_count() -> None:
    result = CliRunner().invoke(main, ["contract", "diff", str(ACME), str(DRAFT), "--locale",
                                       "en_GB"])  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == "acme-l1 version 2 → acme-l1 version 3"
    assert out[1] == "Contract"
    assert "Objectives" in out and "Incentives" in out and "Continuous improvement" in out
    assert out[-1] == "12 changes: 4 favour the provider, 4 the client, 4 neither"


NB = "\u00a0"  # Babel's space before % in fr_FR, and between a symbol or number and its unit


def test_the_diff_command_speaks_the_reader_language_with_its_formats() -> None:
    def diff(*extra: str) -> list[str]:
        result = CliRunner().invoke(main, ["contract", "diff", str(ACME), str(DRAFT), *extra])
        assert result.exit_code == 0, result.output
        return list(result.stdout.splitlines())

    english, french = diff("--locale", "en_GB"), diff("--locale", "fr_FR")
    assert f"  phone-sl: target ≥{NB}80% → ≥{NB}88.5% (harder for the provider)" in english
    assert "  in force from: 1 Jan 2026 → 1 Jan 2027" in english
    assert (
        f"  phone-sl : cible ≥{NB}80{NB}% → ≥{NB}88,5{NB}% (plus exigeant pour le prestataire)"
        in french
    )
    assert "  défaillance chronique : manquements 3 → 2 (favorable au client)" in french
    assert "  entrée en vigueur : 1 janv. 2026 → 1 janv. 2027" in french
    assert french[-1] == (
        "12 changements : 4 en faveur du prestataire, 4 du client, 4 d’aucun des deux"
    )
    # without --locale: `[reports] locale` of the configuration (the repository's says fr_FR)
    assert diff() == french


def test_the_diff_json_is_the_same_in_every_language() -> None:
    outputs = {
        locale: CliRunner()
        .invoke(main, ["contract", "diff", str(ACME), str(DRAFT), "--json", "--locale", locale])
        .stdout
        for locale in ("fr_FR", "en_GB")
    }
    assert outputs["fr_FR"] == outputs["en_GB"]
    assert json.loads(outputs["fr_FR"])["changes"][2]["text"] == (
        "phone-sl: target ≥ 80 % → ≥ 88.5 % (harder for the provider)"
    )


def test_money_and_allocations_in_the_reader_language() -> None:
    from slaengine.domain.reports.diff_words import change_words
    from slaengine.i18n import using

    old = parse_contract_text(ACME.read_text(encoding="utf-8"))
    new = parse_contract_text(acme_with(("monthly_fee: 120000.00", "monthly_fee: 125000.50"),
                                        ("phone-sl: 40%", "phone-sl: 35%")))  # fmt: skip
    changes = diff_contracts(old, new)
    with using("fr_FR"):
        french = [change_words(change, new) for change in changes]
    with using("en_GB"):
        english = [change_words(change, new) for change in changes]
    assert (
        f"pénalités : redevance mensuelle 120\u202f000,00{NB}€ → 125\u202f000,50{NB}€"
        " (favorable au prestataire)"
    ) in french
    assert f"phone-sl : part 40{NB}% → 35{NB}% (favorable au prestataire)" in french
    assert "credits: monthly fee €120,000.00 → €125,000.50 (favours the provider)" in english


def test_the_diff_command_reads_stored_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    runner = CliRunner()
    assert runner.invoke(main, ["contract", "load", str(ACME)]).exit_code == 0
    result = runner.invoke(main, ["contract", "diff", "acme-l1@2", str(DRAFT), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["old"] == {"id": "acme-l1", "version": 2}
    assert document["new"] == {"id": "acme-l1", "version": 3}
    assert document["changes"][2] == {
        "section": "objectives",
        "subject": "phone-sl",
        "field": "target",
        "old": "≥ 80 %",
        "new": "≥ 88.5 %",
        "favours": "client",
        "text": "phone-sl: target ≥ 80 % → ≥ 88.5 % (harder for the provider)",
    }
    missing = runner.invoke(main, ["contract", "diff", "acme-l1@7", str(DRAFT)])
    assert missing.exit_code == 1
    assert missing.stderr == (
        "error: no stored version 7 of contract 'acme-l1' (stored versions: 2); load it with"
        " `slaengine contract load` or give a file\n"
    )


def test_the_diff_command_reports_file_problems_and_has_help(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["contract", "diff", str(tmp_path / "nope.yaml"), str(DRAFT)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}:1:1: file not found" in result.stderr
    help_text = runner.invoke(main, ["contract", "diff", "--help"])
    assert help_text.exit_code == 0
    assert "What changed from OLD to NEW" in help_text.output


def test_calendars_and_continuous_improvement_changes() -> None:
    draft = DRAFT.read_text(encoding="utf-8")
    changed = draft.replace('mon-sat: ["08:00-22:00"]', 'mon-sat: ["08:00-20:00"]').replace(
        "after_months: 12\n  move: halfway\n",
        "after_months: 6\n  move: halfway\n  objectives: [csat]\n",
    )
    assert lines(draft, changed) == [
        "opening-hours: opening hours mon-sat 08:00-22:00; sun 09:00-13:00, 14:00-18:00"
        " → mon-sat 08:00-20:00; sun 09:00-13:00, 14:00-18:00",
        "continuous improvement: after months 12 → 6 (favours the client)",
        "continuous improvement: objectives all → csat",
    ]


def test_a_range_of_months_reads_in_words_with_french_elision() -> None:
    from slaengine.domain.reports.diff_words import month_range
    from slaengine.i18n import using

    with using("fr_FR"):
        assert month_range("2026-06", "2026-10") == "de juin 2026 à octobre 2026"
        assert month_range("2026-04", "2026-08") == "d'avril 2026 à août 2026"
        assert month_range("2026-10", "2026-12") == "d'octobre 2026 à décembre 2026"
    with using("en_GB"):
        assert month_range("2026-06", "2026-10") == "from June 2026 to October 2026"


def test_a_change_built_without_its_values_keeps_its_own_line() -> None:
    from slaengine.domain.procurement.changes import Change
    from slaengine.domain.reports.diff_words import change_words

    contract = parse_contract_text(ACME.read_text(encoding="utf-8"))
    bare = Change("exclusions", "relief", "max hours per month", "16", "8", "client",
                  "relief: max hours per month 16 → 8 (favours the client)")  # fmt: skip
    assert change_words(bare, contract) == bare.text


# ------------------------------------------------------------------ relief and event queues

EVENT_END = "      approved_by: j.martin\n"


def acme_relief(relief: str = "", queues: str = "") -> str:
    """ACME version 2 with `queues` on its event and an `exclusions.relief` block."""
    block = f"  relief:\n{relief}" if relief else ""
    queue_line = f"      queues: {queues}\n" if queues else ""
    return acme_with((EVENT_END, queue_line + EVENT_END + block))


SIXTEEN = "    request_within: 5 business days\n    calendar: office\n    max_hours_per_month: 16\n"


def test_only_the_monthly_relief_allowance_changed_is_a_difference() -> None:
    larger = SIXTEEN.replace("16", "24")
    assert lines(acme_relief(SIXTEEN), acme_relief(larger)) == [
        "relief: max hours per month 16 h → 24 h (favours the provider)"
    ]
    assert lines(acme_relief(larger), acme_relief(SIXTEEN.replace("16", "7.5"))) == [
        "relief: max hours per month 24 h → 7.5 h (favours the client)"
    ]


def test_the_relief_deadline_longer_favours_the_provider_shorter_the_client() -> None:
    def deadline(old: str, new: str) -> list[str]:
        return lines(
            acme_relief(SIXTEEN.replace("5 business days", old)),
            acme_relief(SIXTEEN.replace("5 business days", new)),
        )

    assert deadline("5 business days", "10 business days") == [
        "relief: request within 5 business days → 10 business days (favours the provider)"
    ]
    # a business day is never shorter than a calendar day
    assert deadline("5 days", "5 business days") == [
        "relief: request within 5 days → 5 business days (favours the provider)"
    ]
    assert deadline("10 business days", "7 days") == [
        "relief: request within 10 business days → 7 days (favours the client)"
    ]
    assert deadline("1 day", "3 days") == [
        "relief: request within 1 day → 3 days (favours the provider)"
    ]
    # 5 business days may be more or fewer than 10 calendar days: neither side for sure
    assert deadline("10 days", "5 business days") == [
        "relief: request within 10 days → 5 business days"
    ]
    assert lines(acme_relief(SIXTEEN), acme_relief(SIXTEEN.replace("office", "opening-hours"))) == [
        "relief: deadline calendar office → opening-hours"
    ]


def test_relief_limits_added_favour_the_client_removed_the_provider() -> None:
    without, limited = ACME.read_text(encoding="utf-8"), acme_relief(SIXTEEN)
    added = (
        "relief: limits added, requests within 5 business days on calendar office, at most 16 h"
        " of approved relief a month (favours the client)"
    )
    assert lines(without, limited) == [added]
    assert lines(limited, without) == [
        "relief: limits removed, they were requests within 5 business days on calendar office,"
        " at most 16 h of approved relief a month (favours the provider)"
    ]
    # inside the block: a limit where there was none, or none where there was one
    deadline_only = "    request_within: 5 days\n"
    assert lines(
        acme_relief(deadline_only), acme_relief(deadline_only + "    max_hours_per_month: 8\n")
    ) == ["relief: max hours per month no limit → 8 h (favours the client)"]
    assert lines(acme_relief(deadline_only), acme_relief("    max_hours_per_month: 8\n")) == [
        "relief: request within 5 days → no deadline (favours the provider)",
        "relief: max hours per month no limit → 8 h (favours the client)",
    ]
    # an empty block sets no limit: it favours neither side
    assert lines(without, acme_with((EVENT_END, EVENT_END + "  relief: {}\n"))) == [
        "relief: limits added, no deadline and no monthly limit"
    ]


EVENT_WORDS = (
    "2026-03-04T10:00:00+01:00 to 2026-03-04T14:30:00+01:00, phone{queues}:"
    " carrier outage on the client side"
)


def test_event_queues_narrow_the_event_and_favour_the_client() -> None:
    every, vip = EVENT_WORDS.format(queues=""), EVENT_WORDS.format(queues=", queues vip")
    both = EVENT_WORDS.format(queues=", queues vip, billing")
    plain, narrowed = ACME.read_text(encoding="utf-8"), acme_relief(queues="[vip]")
    assert lines(plain, narrowed) == [
        f"event carrier-outage-0304: {every} → {vip} (favours the client)"
    ]
    assert lines(narrowed, plain) == [
        f"event carrier-outage-0304: {vip} → {every} (favours the provider)"
    ]
    assert lines(narrowed, acme_relief(queues="[vip, billing]")) == [
        f"event carrier-outage-0304: {vip} → {both} (favours the provider)"
    ]
    billing = EVENT_WORDS.format(queues=", queues billing")
    assert lines(narrowed, acme_relief(queues="[billing]")) == [
        f"event carrier-outage-0304: {vip} → {billing}"  # other contacts, not more or fewer
    ]
    longer = acme_with(("to: 2026-03-04T14:30:00+01:00", "to: 2026-03-04T16:00:00+01:00"))
    assert lines(plain, longer)[0].endswith("(favours the provider)")
    added = lines(
        plain,
        acme_with(
            (
                "      approved_by: j.martin\n",
                "      approved_by: j.martin\n"
                "    - id: crm-down\n      from: 2026-05-04T10:00:00+02:00\n"
                "      to: 2026-05-04T11:00:00+02:00\n      queues: [vip]\n"
                "      reason: CRM down\n      approved_by: j.martin\n",
            )
        ),
    )
    assert added == [
        "event crm-down added: 2026-05-04T10:00:00+02:00 to 2026-05-04T11:00:00+02:00, all"
        " channels, queues vip: CRM down (favours the provider)"
    ]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_relief_diff_in_the_reader_language_and_language_free_json(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", acme_relief(SIXTEEN))
    new = write(tmp_path / "new.yaml", acme_relief(
        SIXTEEN.replace("5 business", "10 business").replace("16", "24"), queues="[vip]"
    ))  # fmt: skip

    def diff(*extra: str) -> list[str]:
        result = CliRunner().invoke(main, ["contract", "diff", old, new, *extra])
        assert result.exit_code == 0, result.output
        return list(result.stdout.splitlines())

    vip = "4 Mar 2026, 10:00 – 14:30 (Europe/Paris), phone, queues vip"
    assert diff("--locale", "en_GB") == [
        "acme-l1 version 2 → acme-l1 version 2",
        "Exclusions",
        f"  excluded event carrier-outage-0304: 4 Mar 2026, 10:00 – 14:30 (Europe/Paris), phone:"
        f" carrier outage on the client side → {vip}: carrier outage on the client side"
        " (favours the client)",
        "  relief: request deadline 5 business days → 10 business days (favours the provider)",
        f"  relief: monthly allowance 16{NB}h → 24{NB}h (favours the provider)",
        "3 changes: 2 favour the provider, 1 the client, 0 neither",
    ]
    french = diff("--locale", "fr_FR")
    assert french[1:] == [
        "Exclusions",
        "  événement exclu carrier-outage-0304 : 4 mars 2026, 10:00 – 14:30 (Europe/Paris),"
        " téléphone : carrier outage on the client side → 4 mars 2026, 10:00 – 14:30"
        " (Europe/Paris), téléphone, files vip : carrier outage on the client side"
        " (favorable au client)",
        "  exonérations : délai de demande 5 jours ouvrés → 10 jours ouvrés"
        " (favorable au prestataire)",
        f"  exonérations : plafond mensuel 16{NB}h → 24{NB}h (favorable au prestataire)",
        "3 changements : 2 en faveur du prestataire, 1 du client, 0 d’aucun des deux",
    ]
    english_json, french_json = (
        diff("--json", "--locale", "en_GB"),
        diff("--json", "--locale", "fr_FR"),
    )
    assert english_json == french_json
    document = json.loads("\n".join(english_json))
    assert document["changes"][2] == {
        "section": "exclusions",
        "subject": "relief",
        "field": "max hours per month",
        "old": "16 h",
        "new": "24 h",
        "favours": "provider",
        "text": "relief: max hours per month 16 h → 24 h (favours the provider)",
    }
    assert document["summary"] == {
        "changes": 3, "favour_provider": 2, "favour_client": 1, "neutral": 0
    }  # fmt: skip


def test_relief_limits_added_and_removed_in_french() -> None:
    from slaengine.domain.reports.diff_words import change_words
    from slaengine.i18n import using

    plain = parse_contract_text(ACME.read_text(encoding="utf-8"))
    limited = parse_contract_text(acme_relief(SIXTEEN.replace("16", "7.5")))
    with using("fr_FR"):
        [added] = [change_words(c, limited) for c in diff_contracts(plain, limited)]
        [removed] = [change_words(c, plain) for c in diff_contracts(limited, plain)]
    terms = (
        "demande dans un délai de 5 jours ouvrés selon le calendrier « office », au plus"
        f" 7,5{NB}h d'exonération approuvée par mois"
    )
    assert added == f"limites des exonérations ajoutées : {terms} (favorable au client)"
    assert removed == (
        f"limites des exonérations supprimées (elles étaient : {terms}) (favorable au prestataire)"
    )
    with using("en_GB"):
        [added] = [change_words(c, limited) for c in diff_contracts(plain, limited)]
    assert added == (
        "relief limits added: requests within 5 business days on calendar “office”, at most"
        f" 7.5{NB}h of approved relief a month (favours the client)"
    )


def test_the_french_summary_agrees_with_one_change_in_favour_of_a_side() -> None:
    from slaengine.domain.procurement.changes import Change
    from slaengine.domain.reports.diff_words import summary_words
    from slaengine.i18n import using

    one = (Change("credits", "fee", None, "1", "2", "provider", "fee 1 → 2"),)
    with using("fr_FR"):
        assert (
            summary_words(one)
            == "1 changement : 1 en faveur du prestataire, 0 du client, 0 d’aucun des deux"
        )
