"""Cross-field rules of the contract language, each reported at its exact line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from slaengine.adapters.yaml.contract import (
    discover,
    load_benchmark_file,
    load_contract_file,
    load_spec_file,
)
from slaengine.domain.contract.model import BenchmarkSpec
from slaengine.errors import ContractInvalid
from slaengine.services.contracts import check_contracts
from tests.test_contract_spec import BASE, problems_of

EVENT = (
    "exclusions:\n  events:\n    - id: outage\n"
    "      from: 2026-03-04T10:00:00+01:00\n      to: 2026-03-04T09:00:00+01:00\n"
    "      reason: carrier outage\n      approved_by: j.martin\n"
)


def with_objective(*lines: str) -> str:
    """BASE (21 lines) plus one objective starting on line 22."""
    return BASE + "".join(f"{'  - ' if i == 0 else '    '}{line}\n" for i, line in enumerate(lines))


def test_a_duplicate_objective_id_is_reported_at_the_second_id(tmp_path: Path) -> None:
    text = with_objective("id: phone-sl", "channel: chat", "kpi: answer_rate", 'target: ">= 90%"')
    assert problems_of(text, tmp_path) == ["22:9: objective id 'phone-sl' is used twice"]


def test_an_event_that_ends_before_it_starts(tmp_path: Path) -> None:
    assert problems_of(BASE + EVENT, tmp_path) == [
        "26:11: event 'outage' must end after it starts:"
        " to 2026-03-04T09:00:00+01:00 is not after from 2026-03-04T10:00:00+01:00"
    ]


def test_an_event_that_ends_when_it_starts(tmp_path: Path) -> None:
    text = BASE + EVENT.replace("T09:00:00", "T10:00:00")
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("26:11: event 'outage' must end after it starts")


def test_a_duplicate_event_id(tmp_path: Path) -> None:
    second = (
        "    - id: outage\n      from: 2026-03-05T10:00:00+01:00\n"
        "      to: 2026-03-05T11:00:00+01:00\n      reason: again\n      approved_by: j\n"
    )
    text = BASE + EVENT.replace("T09:00", "T11:00") + second
    assert problems_of(text, tmp_path) == ["29:11: event id 'outage' is used twice"]


def test_an_event_time_without_offset_is_refused(tmp_path: Path) -> None:
    text = BASE + EVENT.replace("T09:00:00+01:00", "T11:00:00")
    assert problems_of(text, tmp_path) == [
        "26:11: expected a date and time with a UTC offset (e.g. +01:00),"
        " found '2026-03-04T11:00:00'"
    ]


def test_service_level_needs_a_threshold_reported_at_the_kpi(tmp_path: Path) -> None:
    text = BASE.replace("    threshold: 20s\n", "")
    assert problems_of(text, tmp_path) == [
        "18:10: service_level needs a threshold (e.g. threshold: 20s)"
    ]


def test_a_threshold_on_abandonment_rate_is_refused(tmp_path: Path) -> None:
    text = with_objective(
        "id: abandon",
        "channel: phone",
        "kpi: abandonment_rate",
        "threshold: 20s",
        'target: "<= 5%"',
    )
    assert problems_of(text, tmp_path) == [
        "25:16: threshold does not apply to abandonment_rate (only to service_level,"
        " response_within, or with denominator answered_and_late_abandons)"
    ]


def test_answered_and_late_abandons_takes_the_threshold_it_needs(tmp_path: Path) -> None:
    text = with_objective(
        "id: abandon",
        "channel: phone",
        "kpi: abandonment_rate",
        "denominator: answered_and_late_abandons",
        "threshold: 20s",
        'target: "<= 5%"',
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_contract_file(path).objective("abandon").threshold is not None


def test_a_denominator_on_csat_is_refused(tmp_path: Path) -> None:
    text = with_objective(
        "id: csat", "channel: phone", "kpi: csat", "denominator: offered", 'target: ">= 80%"'
    )
    assert problems_of(text, tmp_path) == ["25:18: denominator does not apply to csat"]


def test_a_clock_on_service_level_is_refused(tmp_path: Path) -> None:
    text = BASE.replace(
        "    denominator: offered\n", "    denominator: offered\n    clock: business\n"
    )
    assert problems_of(text, tmp_path) == [
        "21:12: clock applies to response_within only, not to service_level"
    ]


def test_a_business_clock_needs_a_calendar(tmp_path: Path) -> None:
    text = with_objective(
        "id: mail",
        "channel: email",
        "kpi: response_within",
        "threshold: 24h",
        "clock: business",
        'target: ">= 90%"',
    )
    assert problems_of(text, tmp_path) == [
        "26:12: clock: business needs a calendar whose open time runs the clock"
    ]


def test_response_within_on_a_real_time_channel(tmp_path: Path) -> None:
    text = with_objective(
        "id: mail",
        "channel: [email, phone]",
        "kpi: response_within",
        "threshold: 24h",
        'target: ">= 90%"',
    )
    assert problems_of(text, tmp_path) == [
        "23:14: response_within measures deferred channels (email, sms, social, mail);"
        " phone is real-time: use kpi service_level"
    ]


def test_service_level_without_a_channel_would_cover_deferred_channels(tmp_path: Path) -> None:
    text = BASE.replace("    channel: phone\n", "")
    assert problems_of(text, tmp_path) == [
        "17:10: service_level needs a channel: name the real-time channels (phone, chat)"
        " it measures"
    ]


@pytest.mark.parametrize(
    ("kpi", "target", "message"),
    [
        ("nps", ">= 120", "an nps target must lie between -100 and 100, found >= 120"),
        ("nps", ">= 30%", 'nps is a score from -100 to 100: write e.g. ">= 30"'),
        (
            "cost_per_contact",
            "<= 5%",
            'cost_per_contact is money: write the target as e.g. "<= 4.50"',
        ),
        (
            "first_contact_resolution",
            ">= 120%",
            "a first_contact_resolution target must lie between 0% and 100%, found >= 120%",
        ),
        (
            "average_handle_time",
            "<= 300",
            'average_handle_time is a duration: write the target in seconds, e.g. "<= 30s"',
        ),
    ],
)
def test_a_target_unit_must_fit_the_kpi(
    tmp_path: Path, kpi: str, target: str, message: str
) -> None:
    text = with_objective("id: other", f"kpi: {kpi}", f'target: "{target}"')
    assert problems_of(text, tmp_path) == [f"24:13: {message}"]


def test_at_risk_above_100_percent(tmp_path: Path) -> None:
    text = BASE + "credits:\n  monthly_fee: 1000.00\n  at_risk: 120%\n"
    assert problems_of(text, tmp_path) == [
        "24:12: at_risk is a share of the fee: at most 100%, found 120%"
    ]


def test_a_contract_objective_needs_a_target(tmp_path: Path) -> None:
    text = BASE.replace('    target: ">= 80%"\n', "")
    assert problems_of(text, tmp_path) == [
        "16:9: objective 'phone-sl' has no target (e.g. target: \">= 80%\")"
    ]


def test_an_empty_interval_is_refused(tmp_path: Path) -> None:
    text = BASE.replace('"08:00-18:00"', '"08:00-08:00"')
    assert problems_of(text, tmp_path) == [
        "14:17: interval '08:00-08:00' is empty: its end must come after its start"
    ]


def test_a_misspelt_nested_key_is_reported_at_the_key(tmp_path: Path) -> None:
    text = BASE.replace("name: P,", "nmae: P,")
    assert problems_of(text, tmp_path) == [
        "6:11: missing required key 'name' in provider",
        "6:19: unknown key 'nmae'; did you mean 'name'?",
    ]


def test_a_bad_calendar_name_is_reported_at_the_key(tmp_path: Path) -> None:
    text = BASE.replace("  open:\n", "  Open:\n")
    assert problems_of(text, tmp_path) == [
        "12:3: expected an identifier of lowercase letters, digits and '-'"
        " (e.g. opening-hours), found 'Open'"
    ]


def test_type_messages_say_expected_and_found(tmp_path: Path) -> None:
    text = BASE.replace('mon-fri: ["08:00-18:00"]', 'mon-fri: "08:00-18:00"').replace(
        "version: 1", "version: 0"
    )
    assert problems_of(text, tmp_path) == [
        "4:10: expected a number at least 1, found 0",
        "14:16: expected a list, found '08:00-18:00'",
    ]


def test_money_keeps_its_decimal_text(tmp_path: Path) -> None:
    text = BASE + "credits:\n  monthly_fee: 1000.005\n  at_risk: 10%\n"
    [problem] = problems_of(text, tmp_path)
    assert (
        problem == "23:16: decimal input should have no more than 2 decimal places, found 1000.005"
    )


def test_type_errors_and_rule_problems_are_reported_together(tmp_path: Path) -> None:
    text = (
        BASE.replace("Europe/Paris", "Europe/Pari").replace(
            "threshold: 20s", "threshold: 20 seconds"
        )
        + "  - id: mail\n    channel: phone\n    kpi: response_within\n    threshold: 24h\n"
        + '    calendar: offce\n    target: ">= 90%"\n'
        + "credits:\n  monthly_fee: 1000.00\n  at_risk: 10%\n  allocation:\n    phone-s: 50%\n"
    )
    assert problems_of(text, tmp_path) == [
        "9:11: expected an IANA time zone such as Europe/Paris, found 'Europe/Pari';"
        " did you mean 'Europe/Paris'?",
        "19:16: expected a duration such as 20s, 2min or 24h, found '20 seconds'",
        "23:14: response_within measures deferred channels (email, sms, social, mail);"
        " phone is real-time: use kpi service_level",
        "26:15: calendar 'offce' is not defined under calendars (defined: open)",
        # phone-sl is invalid (bad threshold) but exists: only the misspelling is reported
        "32:5: allocation names objective 'phone-s', which the contract does not define;"
        " did you mean 'phone-sl'?",
    ]


def test_a_wrong_kind_suggests_the_right_one(tmp_path: Path) -> None:
    text = BASE.replace("kind: Contract", "kind: Contrat")
    assert problems_of(text, tmp_path) == [
        "2:7: expected 'Contract', found 'Contrat'; did you mean 'Contract'?"
    ]


def test_a_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(ContractInvalid) as caught:
        load_contract_file(tmp_path / "nope.yaml")
    assert caught.value.problems == [f"{tmp_path / 'nope.yaml'}:1:1: file not found"]


# --- benchmark specifications and discovery ---------------------------------------------------

BENCHMARK = """\
apiVersion: slaengine/v1
kind: Benchmark
activity: l1-support
objectives:
  - id: phone-sl
    channel: phone
    kpi: service_level
    threshold: 20s
    denominator: offered_excluding_short_abandons
    short_abandon: 5s
  - id: nps
    kpi: nps
"""


def test_a_benchmark_needs_no_targets(tmp_path: Path) -> None:
    path = tmp_path / "benchmark.yaml"
    path.write_text(BENCHMARK, encoding="utf-8")
    spec = load_benchmark_file(path)
    assert [o.id for o in spec.objectives] == ["phone-sl", "nps"]
    assert spec.objectives[0].target is None


def test_a_benchmark_is_checked_with_the_same_rules(tmp_path: Path) -> None:
    path = tmp_path / "benchmark.yaml"
    path.write_text(BENCHMARK.replace("    threshold: 20s\n", ""), encoding="utf-8")
    with pytest.raises(ContractInvalid) as caught:
        load_benchmark_file(path)
    assert caught.value.problems == [
        f"{path}:7:10: service_level needs a threshold (e.g. threshold: 20s)"
    ]


def test_a_benchmark_file_is_not_a_contract(tmp_path: Path) -> None:
    path = tmp_path / "benchmark.yaml"
    path.write_text(BENCHMARK, encoding="utf-8")
    with pytest.raises(ContractInvalid) as caught:
        load_contract_file(path)
    assert caught.value.problems == [f"{path}:1:1: expected kind: Contract, found kind: Benchmark"]


def test_folders_are_searched_recursively_and_benchmarks_kept_apart(tmp_path: Path) -> None:
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / "b" / "deeper" / "x.yml").write_text(BASE, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(BASE.replace("id: demo", "id: other"), encoding="utf-8")
    (tmp_path / "benchmark.yaml").write_text(BENCHMARK, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a contract", encoding="utf-8")
    assert discover([tmp_path]) == [
        tmp_path / "a.yaml",
        tmp_path / "b" / "deeper" / "x.yml",
        tmp_path / "benchmark.yaml",
    ]
    report = check_contracts([tmp_path])
    assert report.problems == []
    assert [f.spec.id for f in report.contracts] == ["other", "demo"]  # type: ignore[union-attr]
    assert isinstance(load_spec_file(tmp_path / "benchmark.yaml").spec, BenchmarkSpec)
    assert [f.path.name for f in report.benchmarks] == ["benchmark.yaml"]


def test_the_same_id_and_version_in_two_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BASE, encoding="utf-8")
    assert check_contracts([tmp_path]).problems == [
        f"{tmp_path / 'b.yaml'}:4:1: contract demo version 1 is also defined in"
        f" {tmp_path / 'a.yaml'}: give each version its own number"
    ]


def test_a_folder_without_contracts_is_a_problem(tmp_path: Path) -> None:
    assert check_contracts([tmp_path]).problems == [
        f"{tmp_path}:1:1: no contract files (*.yaml) found"
    ]


def test_a_key_written_twice_is_a_yaml_error_at_the_second(tmp_path: Path) -> None:
    text = BASE.replace("version: 1\n", "version: 1\nversion: 2\n")
    assert problems_of(text, tmp_path) == [
        '5:1: invalid YAML: found duplicate key "version" with value "2" (original value: "1")'
    ]


def test_a_tab_in_the_indentation_is_located(tmp_path: Path) -> None:
    text = BASE.replace("  open:\n", "\topen:\n")
    assert problems_of(text, tmp_path) == [
        "12:1: invalid YAML: found character '\\t' that cannot start any token"
    ]


def test_a_plain_text_document_is_refused(tmp_path: Path) -> None:
    assert problems_of("just text\n", tmp_path) == [
        "1:1: expected a mapping of keys (apiVersion, kind, id...), found 'just text'"
    ]


def test_money_and_percentages_say_what_they_expect(tmp_path: Path) -> None:
    text = BASE + "credits:\n  monthly_fee: abc\n  at_risk: 10\n"
    assert problems_of(text, tmp_path) == [
        "23:16: expected a decimal number such as 120000.00, found 'abc'",
        "24:12: expected a percentage such as 10% or 12.5%, found 10",
    ]


def test_a_fractional_version_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("version: 1", "version: 1.5")
    assert problems_of(text, tmp_path) == ["4:10: expected a whole number, found 1.5"]


def test_a_file_named_twice_is_checked_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    report = check_contracts([tmp_path, tmp_path / "a.yaml"])
    assert report.problems == []
    assert report.files == [tmp_path / "a.yaml"]
