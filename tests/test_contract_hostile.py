"""Hostile contract files: refused with a FILE:LINE:COL message, never a traceback or a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from slaengine.adapters.yaml.contract import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    cut_quoted,
    load_contract_file,
)
from slaengine.cli import main
from slaengine.errors import ContractInvalid
from slaengine.services.contracts import list_contracts, load_contracts
from tests.test_contract_spec import BASE, problems_of


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_over_one_megabyte_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # 50 MB, sparse: reading it would take seconds
        handle.truncate(50_000_000)
    started = time.perf_counter()
    assert problems_of_path(path) == [
        "1:1: the file is larger than 1,000,000 bytes (1 MB), the largest contract file read;"
        " a contract is a few kilobytes: check the file"
    ]
    assert time.perf_counter() - started < 0.5


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    padding = MAX_FILE_BYTES - len(BASE.encode())
    text = BASE + "#" * (padding - 1) + "\n"
    path = write(tmp_path, text)
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_contract_file(path).id == "demo"


def test_a_megabyte_of_comments_is_parsed_in_linear_time(tmp_path: Path) -> None:
    # ruamel's round-trip scanner joined comment lines by repeated concatenation: this file
    # took 7.5 s, and four times the size four times four as long.
    lines = "".join(f"# comment line {i:06d}\n" for i in range(45_000))
    path = write(tmp_path, BASE + lines)
    assert 900_000 < path.stat().st_size <= MAX_FILE_BYTES
    started = time.perf_counter()
    assert load_contract_file(path).id == "demo"
    assert time.perf_counter() - started < 4.0


def test_nesting_a_thousand_levels_deep_is_refused_where_it_passes_the_limit(
    tmp_path: Path,
) -> None:
    text = BASE.replace("title: Demo", "title: " + "[" * 1000 + "]" * 1000)
    assert problems_of(text, tmp_path) == [
        f"5:{8 + MAX_NESTING - 1}: invalid YAML: nested deeper than 32 levels of mappings and lists"
    ]


def test_nesting_up_to_the_limit_is_parsed_and_reported_as_a_type(tmp_path: Path) -> None:
    depth = MAX_NESTING - 1  # the document's own mapping is the first level
    text = BASE.replace("title: Demo", "title: " + "[" * depth + "]" * depth)
    assert problems_of(text, tmp_path) == ["5:8: expected text, found a list"]


def test_a_long_value_is_cut_to_80_characters_in_the_message(tmp_path: Path) -> None:
    text = BASE.replace("currency: EUR", "currency: " + "E" * 5000)
    assert problems_of(text, tmp_path) == [
        "10:11: expected a three-letter currency code such as EUR, found '"
        + "E" * 79
        + "…' (5,000 characters)"
    ]


def test_a_long_unknown_key_is_cut_too(tmp_path: Path) -> None:
    text = BASE + "k" * 300 + ": 1\n"
    [problem] = problems_of(text, tmp_path)
    assert problem.startswith("22:1: unknown key '" + "k" * 79 + "…' (300 characters) (expected")


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("found 'abc'", "found 'abc'"),
        ("found '" + "x" * 80 + "'", "found '" + "x" * 80 + "'"),
        ("found '" + "x" * 81 + "'", "found '" + "x" * 79 + "…' (81 characters)"),
        ('found "' + "it's " * 20 + '"', 'found "' + ("it's " * 20)[:79] + '…" (100 characters)'),
        ("found " + "9" * 100, "found " + "9" * 79 + "… (100 characters)"),
        ("'a' then 'b'", "'a' then 'b'"),
        ("found " + repr("'\"" + "y" * 100), "found '\\'\"" + "y" * 76 + "…' (103 characters)"),
    ],
)
def test_cut_quoted_shortens_only_the_long_values(message: str, shown: str) -> None:
    assert cut_quoted(message) == shown
    assert cut_quoted(shown) == shown


def test_an_integer_of_five_thousand_digits_is_refused_in_words(tmp_path: Path) -> None:
    text = BASE.replace("version: 1", "version: " + "9" * 5000)
    assert problems_of(text, tmp_path) == ["1:1: invalid YAML: a number of more than 4300 digits"]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("version: 1", "version: 2147483648",
         "4:10: expected a number at most 2147483647, found 2147483648"),
        ("threshold: 20s", "threshold: 8785h",
         "19:16: expected a duration of at most 8784h (366 days), found 8785h"),
        ("target:", "allowed_misses: 32\n    window: day\n    target:",
         "21:21: expected a number at most 31, found 32"),
        ("target:", "min_volume: 1000000001\n    target:",
         "21:17: expected a number at most 1000000000, found 1000000001"),
        ("calendars:", "chronic_failure: {breaches: 1001, within_months: 3}\ncalendars:",
         "11:29: expected a number at most 1000, found 1001"),
    ],
)  # fmt: skip
def test_numbers_out_of_their_bounds_are_refused_at_their_value(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert problems_of(BASE.replace(old, new, 1), tmp_path) == [problem]


def test_the_largest_version_is_checked_and_loaded_alike(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("version: 1", "version: 2147483647"))
    [outcome] = load_contracts(engine, [path])
    assert outcome.version == 2147483647
    assert [(row.contract.id, row.contract.version) for row in list_contracts(engine)] == [
        ("demo", 2147483647)
    ]


def test_a_version_past_the_database_integer_is_refused_by_check_and_load_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    path = write(tmp_path, BASE.replace("version: 1", "version: 2147483648"))
    expected = f"{path}:4:10: expected a number at most 2147483647, found 2147483648\n"
    for command in ("check", "load"):
        result = CliRunner().invoke(main, ["contract", command, str(path)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(expected) or expected in result.stderr


def test_every_missing_key_is_reported_at_once_at_the_mapping_that_lacks_it(
    tmp_path: Path,
) -> None:
    text = (
        "# a comment first\n\napiVersion: slaengine/v1\nkind: Contract\n"
        "provider:\n  sourcing: outsourced\nobjectives:\n  - channel: phone\n"
    )
    assert problems_of(text, tmp_path) == [
        "3:1: missing required key 'activity'",
        "3:1: missing required key 'currency'",
        "3:1: missing required key 'effective'",
        "3:1: missing required key 'id'",
        "3:1: missing required key 'timezone'",
        "3:1: missing required key 'title'",
        "3:1: missing required key 'version'",
        "6:3: missing required key 'id' in provider",
        "6:3: missing required key 'name' in provider",
        "8:5: missing required key 'id' in objectives.[0]",
        "8:5: missing required key 'kpi' in objectives.[0]",
    ]


def test_aliases_cannot_blow_up_validation(tmp_path: Path) -> None:
    laughs = "".join(f"x{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10))
    text = "x0: &a0 [1,2,3,4,5,6,7,8,9,10]\n" + laughs + "objectives: *a9\n"
    started = time.perf_counter()
    problems = problems_of("apiVersion: slaengine/v1\nkind: Contract\n" + text, tmp_path)
    assert time.perf_counter() - started < 2.0
    typed = [
        p for p in problems if p.endswith("expected a mapping of keys and values, found a list")
    ]
    assert typed == ["11:5: expected a mapping of keys and values, found a list"]


def problems_of_path(path: Path) -> list[str]:
    with pytest.raises(ContractInvalid) as caught:
        load_contract_file(path)
    return [problem.removeprefix(f"{path}:") for problem in caught.value.problems]


def test_a_control_character_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    text = BASE.replace("title: Demo", "title: De\x7fmo")
    assert problems_of(text, tmp_path) == [
        "5:10: invalid YAML: unacceptable character #x007f: special characters are not allowed"
    ]
