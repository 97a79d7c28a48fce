"""The contract language: every rule and every error, at its exact line and column."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from slaengine.adapters.yaml.contract import load_contract_file, parse_contract_text
from slaengine.domain.contract.units import Duration, Percent, Target
from slaengine.errors import ContractInvalid
from tests.conftest import CONTRACTS

BASE = textwrap.dedent(
    """\
    apiVersion: slaengine/v1
    kind: Contract
    id: demo
    version: 1
    title: Demo
    provider: {id: p, name: P, sourcing: outsourced}
    activity: l1
    effective: {from: 2026-01-01}
    timezone: Europe/Paris
    currency: EUR
    calendars:
      open:
        weekly:
          mon-fri: ["08:00-18:00"]
    objectives:
      - id: phone-sl
        channel: phone
        kpi: service_level
        threshold: 20s
        denominator: offered
        target: ">= 80%"
    """
)


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContractInvalid) as caught:
        load_contract_file(path)
    prefix = f"{path}:"
    assert all(problem.startswith(prefix) for problem in caught.value.problems)
    return [problem[len(prefix) :] for problem in caught.value.problems]


def test_the_base_snippet_is_valid() -> None:
    contract = parse_contract_text(BASE)
    assert contract.objective("phone-sl").threshold == Duration(20)


@pytest.mark.parametrize("name", ["acme-l1.yaml", "nordline-overflow.yaml", "inhouse-l1.yaml"])
def test_every_shipped_example_is_valid(name: str) -> None:
    assert load_contract_file(CONTRACTS / name).id == name.removesuffix(".yaml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20s", 20), ("90s", 90), ("2min", 120), ("4h", 14400), ("24h", 86400)],
)
def test_durations_parse(text: str, seconds: int) -> None:
    assert Duration.parse(text).seconds == seconds


@pytest.mark.parametrize("text", ["20", "20 sec", "1d", "-5s", ""])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        Duration.parse(text)


def test_targets_parse_with_operator_and_unit() -> None:
    assert Target.parse(">= 80%") == Target(">=", Decimal("0.8"), "fraction")
    assert Target.parse("<= 30s") == Target("<=", Decimal(30), "seconds")
    assert Target.parse(">= 30") == Target(">=", Decimal(30), "number")
    assert Target.parse("<5%").operator == "<"


def test_a_target_is_met_at_equality() -> None:
    from fractions import Fraction

    assert Target.parse(">= 80%").is_met_by(Fraction(8, 10))
    assert not Target.parse("> 80%").is_met_by(Fraction(8, 10))
    assert Target.parse("<= 30s").is_met_by(30)


def test_percentages_are_exact_decimals() -> None:
    assert Percent.parse("12.5%").fraction == Decimal("0.125")
    assert str(Percent.parse("150%")) == "150%"


def test_a_misspelt_key_gets_did_you_mean_at_the_key(tmp_path: Path) -> None:
    text = BASE.replace("    threshold: 20s", "    treshold: 20s")
    assert problems_of(text, tmp_path) == [
        "19:5: unknown key 'treshold'; did you mean 'threshold'?"
    ]


def test_an_unknown_top_level_key_lists_nothing_far_fetched(tmp_path: Path) -> None:
    text = BASE + "colour: blue\n"
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("22:1: unknown key 'colour'")


def test_a_bad_channel_is_reported_at_its_value(tmp_path: Path) -> None:
    text = BASE.replace("channel: phone", "channel: phnoe")
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("17:14: expected 'phone', 'chat'")
    assert problem.endswith("found 'phnoe'; did you mean 'phone'?")


def test_a_bad_duration_is_reported_at_its_value(tmp_path: Path) -> None:
    text = BASE.replace("threshold: 20s", "threshold: 20")
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("19:16: expected a duration such as 20s, 2min or 24h, found 20")


def test_a_bad_time_zone_suggests_the_nearest(tmp_path: Path) -> None:
    text = BASE.replace("Europe/Paris", "Europe/Pari")
    assert problems_of(text, tmp_path) == [
        "9:11: expected an IANA time zone such as Europe/Paris, found 'Europe/Pari';"
        " did you mean 'Europe/Paris'?"
    ]


def test_a_missing_key_is_reported_at_its_mapping(tmp_path: Path) -> None:
    text = BASE.replace("    kpi: service_level\n", "")
    [problem] = problems_of(text, tmp_path)
    assert problem == "16:5: missing required key 'kpi' in objectives.[0]"


def test_interval_crossing_midnight_says_how_to_split_it(tmp_path: Path) -> None:
    text = BASE.replace('mon-fri: ["08:00-18:00"]', 'mon-fri: ["22:00-02:00"]')
    assert problems_of(text, tmp_path) == [
        "14:17: interval '22:00-02:00' ends before it starts: intervals never cross midnight,"
        " split it into 22:00-24:00 and 00:00-02:00"
    ]


def test_a_bad_day_key_is_reported_at_the_key(tmp_path: Path) -> None:
    text = BASE.replace("mon-fri:", "mon-fir:")
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("14:7: expected a day (mon..sun) or a range such as mon-fri")


def test_overlapping_intervals_across_day_ranges(tmp_path: Path) -> None:
    text = BASE.replace(
        '      mon-fri: ["08:00-18:00"]\n',
        '      mon-fri: ["08:00-18:00"]\n      fri: ["17:00-20:00"]\n',
    )
    assert problems_of(text, tmp_path) == [
        "15:13: interval 17:00-20:00 overlaps 08:00-18:00 (mon-fri) on fri:"
        " opening intervals of a day must not overlap"
    ]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        BASE.replace("Europe/Paris", "Mars/Olympus")
        .replace("channel: phone", "channel: fax")
        .replace("version: 1", "version: one")
    )
    found = problems_of(text, tmp_path)
    assert [problem.split(":")[0] for problem in found] == ["4", "9", "17"]


def test_yaml_syntax_errors_have_a_position(tmp_path: Path) -> None:
    text = BASE.replace('target: ">= 80%"', 'target: ">= 80%')
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("22:1: invalid YAML:")


def test_an_empty_file_is_one_clear_problem(tmp_path: Path) -> None:
    assert problems_of("", tmp_path) == ["1:1: the file is empty: expected a contract mapping"]


def test_a_list_document_is_refused(tmp_path: Path) -> None:
    assert problems_of("- a\n- b\n", tmp_path)[0].startswith("1:1: expected a mapping of keys")


def test_a_non_utf8_file_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    with pytest.raises(ContractInvalid) as caught:
        load_contract_file(path)
    assert caught.value.problems == [f"{path}:1:8: the file is not UTF-8 text (byte 0xe9)"]


def test_yaml_1_1_traps_do_not_apply(tmp_path: Path) -> None:
    text = BASE.replace("currency: EUR", "currency: NO")
    [problem] = problems_of(text, tmp_path)
    # NO stays the text 'NO' (YAML 1.2), then fails only the currency pattern.
    assert problem == "10:11: expected a three-letter currency code such as EUR, found 'NO'"


# --- cross-field rules --------------------------------------------------------------------


def test_allocation_naming_a_missing_objective(tmp_path: Path) -> None:
    text = (
        BASE + "credits:\n  monthly_fee: 1000.00\n  at_risk: 10%\n  allocation:\n    phone-s: 50%\n"
    )
    assert problems_of(text, tmp_path) == [
        "26:5: allocation names objective 'phone-s', which the contract does not define;"
        " did you mean 'phone-sl'?"
    ]


def test_allocations_above_the_pool(tmp_path: Path) -> None:
    text = (
        BASE
        + "credits:\n  monthly_fee: 1000.00\n  at_risk: 10%\n  pool: 100%\n"
        + "  allocation:\n    phone-sl: 120%\n"
    )
    assert problems_of(text, tmp_path) == [
        "26:3: allocations add up to 120%, more than the pool of 100%"
    ]


def test_a_calendar_named_but_not_defined(tmp_path: Path) -> None:
    text = BASE.replace(
        "    denominator: offered\n", "    denominator: offered\n    calendar: opne\n"
    )
    assert problems_of(text, tmp_path) == [
        "21:15: calendar 'opne' is not defined under calendars; did you mean 'open'?"
        " (defined: open)"
    ]


def test_allowed_misses_on_a_month_window(tmp_path: Path) -> None:
    text = BASE + "    allowed_misses: 2\n"
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("22:21: allowed_misses applies to day or week windows")


def test_effective_to_before_from(tmp_path: Path) -> None:
    text = BASE.replace(
        "effective: {from: 2026-01-01}", "effective: {from: 2026-01-01, to: 2025-12-31}"
    )
    assert problems_of(text, tmp_path) == [
        "8:35: effective.to 2025-12-31 is before effective.from 2026-01-01"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('target: ">= 80%"', 'target: "<= 30s"', "21:13: service_level is a percentage"),
        (
            "threshold: 20s",
            "threshold: 20s\n    satisfied_from: 4",
            "20:21: satisfied_from applies to csat only",
        ),
        (
            "kpi: service_level\n    threshold: 20s\n",
            "kpi: nps\n    threshold: 20s\n",
            "19:16: threshold does not apply to nps",
        ),
        ("channel: phone", "channel: email", "17:14: service_level measures real-time channels"),
        (
            "denominator: offered",
            "denominator: offered_excluding_short_abandons",
            "20:18: denominator offered_excluding_short_abandons needs short_abandon",
        ),
    ],
)
def test_a_parameter_that_does_not_fit_the_kpi(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    found = problems_of(BASE.replace(old, new), tmp_path)
    assert any(problem.startswith(expected) for problem in found), found


def test_an_asa_target_in_percent_is_an_error(tmp_path: Path) -> None:
    text = (
        BASE
        + "  - id: asa\n    channel: phone\n"
        + '    kpi: average_speed_of_answer\n    target: "<= 30%"\n'
    )
    assert problems_of(text, tmp_path) == [
        '25:13: average_speed_of_answer is a duration: write the target in seconds, e.g. "<= 30s"'
    ]


def test_an_unknown_holiday_country_is_reported_at_the_country(tmp_path: Path) -> None:
    text = BASE.replace(
        '      mon-fri: ["08:00-18:00"]\n',
        '      mon-fri: ["08:00-18:00"]\n    holidays: {country: XX}\n',
    )
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("15:25:")
    assert "XX" in problem
