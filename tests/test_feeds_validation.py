"""Feed validation: each bad row is quarantined with its reason code and physical line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slaengine.adapters.feeds.readers import read_feed_file
from slaengine.adapters.feeds.schemas import REASONS, validate_frame
from tests.feeds_builders import GOOD, row, write_csv

BAD_ROWS: list[tuple[str, dict[str, str], list[str]]] = [
    ("contacts", {"contact_id": ""}, ["missing_contact_id"]),
    ("contacts", {"channel": ""}, ["missing_channel"]),
    ("contacts", {"channel": "fax"}, ["bad_channel"]),
    ("contacts", {"arrived_at": ""}, ["missing_arrived_at"]),
    ("contacts", {"answered_at": "yesterday"}, ["bad_timestamp"]),
    ("contacts", {"arrived_at": "2026-10-01T08:00:00"}, ["timestamp_without_offset"]),
    ("contacts", {"answered_at": "2026-10-01T07:59:59+02:00"}, ["answered_before_arrival"]),
    (
        "contacts",
        {"answered_at": "", "handle_seconds": "", "abandoned_at": "2026-10-01T07:00:00+02:00"},
        ["abandoned_before_arrival"],
    ),
    ("contacts", {"abandoned_at": "2026-10-01T08:00:05+02:00"}, ["answered_and_abandoned"]),
    ("contacts", {"answered_at": "", "handle_seconds": ""}, ["realtime_not_ended"]),
    ("contacts", {"channel": "email", "answered_at": ""}, ["handle_without_answer"]),
    ("contacts", {"handle_seconds": "-5"}, ["negative_handle"]),
    ("contacts", {"handle_seconds": "abc"}, ["bad_number"]),
    ("contacts", {"csat": "4.5"}, ["bad_number"]),
    ("contacts", {"resolved_first_contact": "maybe"}, ["bad_boolean"]),
    ("contacts", {"csat": "6"}, ["csat_out_of_range"]),
    ("contacts", {"nps": "11"}, ["nps_out_of_range"]),
    ("intervals", {"interval_start": ""}, ["missing_interval_start"]),
    ("intervals", {"interval_start": "soon"}, ["bad_timestamp"]),
    ("intervals", {"interval_start": "2026-10-01 08:00:00"}, ["timestamp_without_offset"]),
    ("intervals", {"interval_minutes": "20"}, ["bad_interval_minutes"]),
    ("intervals", {"interval_start": "2026-10-01T08:05:00+02:00"}, ["interval_not_aligned"]),
    ("intervals", {"channel": "email"}, ["bad_channel"]),
    ("intervals", {"offered": ""}, ["missing_count"]),
    ("intervals", {"offered": "ten"}, ["bad_number"]),
    ("intervals", {"wait_seconds_answered": "-1"}, ["negative_count"]),
    ("intervals", {"offered": "9"}, ["counts_inconsistent"]),
    ("intervals", {"answered_within_threshold": "9"}, ["counts_inconsistent"]),
    ("costs", {"month": "2026-13"}, ["bad_month"]),
    ("costs", {"channel": "fax"}, ["bad_channel"]),
    ("costs", {"amount": "12,5"}, ["bad_amount"]),
    ("costs", {"amount": "-5.00"}, ["negative_amount"]),
    ("costs", {"currency": "EURO"}, ["bad_currency"]),
    ("costs", {"kind": "bonus"}, ["bad_kind"]),
    ("forecasts", {"date": "2026-02-30"}, ["bad_date"]),
    ("forecasts", {"channel": ""}, ["missing_channel"]),
    ("forecasts", {"contacts": "many"}, ["bad_number"]),
    ("forecasts", {"contacts": "-1"}, ["negative_count"]),
    ("contacts", {"contact_id": "a\x00b"}, ["control_character"]),
    ("contacts", {"queue": "line 1\nline 2"}, ["control_character"]),
    ("forecasts", {"channel": "phone\x1b"}, ["bad_channel", "control_character"]),
    ("contacts", {"contact_id": "x" * 201}, ["contact_id_too_long"]),
    ("intervals", {"channel": "phone", "queue": "q" * 201}, ["queue_too_long"]),
    ("costs", {"amount": "1" * 41}, ["amount_too_long"]),
    ("intervals", {"offered": "2147483648"}, ["number_out_of_range"]),
    ("forecasts", {"contacts": "2147483648"}, ["number_out_of_range"]),
    (
        "contacts",
        {"arrived_at": "9999-12-31T23:59:00-05:00", "answered_at": "9999-12-31T23:59:10-05:00"},
        ["timestamp_out_of_range"],
    ),
    ("contacts", {"answered_at": "0001-01-01T00:00:00+01:00"}, ["timestamp_out_of_range"]),
    ("costs", {"month": "9999-12"}, ["timestamp_out_of_range"]),
    ("forecasts", {"date": "0001-01-01"}, ["timestamp_out_of_range"]),
]


def validate(path: Path, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    checked = validate_frame(read_feed_file(path), kind)
    return checked.valid, checked.invalid


@pytest.mark.parametrize(
    ("kind", "changes", "codes"),
    BAD_ROWS,
    ids=[f"{kind}-{codes[0]}-{'-'.join(changes)}" for kind, changes, codes in BAD_ROWS],
)
def test_a_bad_row_is_quarantined_with_its_reason_and_line(
    tmp_path: Path, kind: str, changes: dict[str, str], codes: list[str]
) -> None:
    second = row(kind, **changes)
    if kind == "contacts":
        second["contact_id"] = changes.get("contact_id", "b2")
    if kind == "forecasts":
        second["date"] = changes.get("date", "2026-10-02")
    if kind == "costs":
        second["kind"] = changes.get("kind", "other")
    if kind == "intervals" and "channel" not in changes:
        second["queue"] = "other"
    path = write_csv(tmp_path / f"{kind}.csv", [GOOD[kind], second])
    valid, invalid = validate(path, kind)
    assert valid.height == 1
    assert valid.get_column("_line").to_list() == [2]
    assert invalid.get_column("_line").to_list() == [3]
    assert invalid.get_column("_reasons").to_list() == [codes]


def test_every_reason_code_has_a_readable_text() -> None:
    codes = {code for _kind, _changes, found in BAD_ROWS for code in found}
    codes |= {
        "duplicate_contact_id_in_file",
        "duplicate_interval_in_file",
        "duplicate_cost_in_file",
        "duplicate_forecast_in_file",
    }
    assert codes == set(REASONS)
    assert all(REASONS[code] for code in codes)


def test_rows_repeating_a_contact_id_are_all_quarantined(tmp_path: Path) -> None:
    rows = [row("contacts", contact_id=cid) for cid in ("a", "b", "a", "c", "a")]
    valid, invalid = validate(write_csv(tmp_path / "dup.csv", rows), "contacts")
    assert valid.get_column("contact_id").to_list() == ["b", "c"]
    assert invalid.get_column("_line").to_list() == [2, 4, 6]
    assert invalid.get_column("_reasons").to_list() == [["duplicate_contact_id_in_file"]] * 3


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("intervals", "duplicate_interval_in_file"),
        ("costs", "duplicate_cost_in_file"),
        ("forecasts", "duplicate_forecast_in_file"),
    ],
)
def test_repeated_keys_of_aggregate_feeds_are_all_quarantined(
    tmp_path: Path, kind: str, code: str
) -> None:
    valid, invalid = validate(write_csv(tmp_path / "dup.csv", [GOOD[kind]] * 2), kind)
    assert valid.height == 0
    assert invalid.get_column("_reasons").to_list() == [[code], [code]]


def test_one_row_collects_every_reason_it_breaks(tmp_path: Path) -> None:
    bad = row("contacts", channel="chat", handle_seconds="-1", csat="0", nps="-1")
    bad["answered_at"] = "2026-10-01T07:00:00+02:00"
    _valid, invalid = validate(write_csv(tmp_path / "c.csv", [bad]), "contacts")
    assert invalid.get_column("_reasons").to_list() == [
        ["answered_before_arrival", "negative_handle", "csat_out_of_range", "nps_out_of_range"]
    ]


def test_valid_contacts_come_out_typed_in_utc(tmp_path: Path) -> None:
    good = row("contacts", queue="", arrived_at="2026-10-01 06:00:00Z", resolved_first_contact="")
    valid, _invalid = validate(write_csv(tmp_path / "c.csv", [good]), "contacts")
    assert valid.schema["arrived_at"] == pl.Datetime("us", "UTC")
    first = valid.row(0, named=True)
    assert first["queue"] == "default"
    assert first["arrived_at"].isoformat() == "2026-10-01T06:00:00+00:00"
    assert first["answered_at"].isoformat() == "2026-10-01T06:00:12+00:00"
    assert first["handle_seconds"] == 200.0
    assert first["resolved_first_contact"] is None
    assert (first["csat"], first["nps"]) == (5, 9)


def test_an_email_neither_answered_nor_abandoned_is_open_and_valid(tmp_path: Path) -> None:
    open_email = row("contacts", channel="email", answered_at="", handle_seconds="")
    valid, invalid = validate(write_csv(tmp_path / "c.csv", [open_email]), "contacts")
    assert (valid.height, invalid.height) == (1, 0)


VALUES = {
    "channel": ["phone", "email", "fax", ""],
    "answered_at": ["2026-10-01T08:00:12+02:00", "", "bad", "2026-10-01T07:00:00+02:00"],
    "handle_seconds": ["200", "", "-3", "x"],
    "csat": ["5", "", "9"],
    "contact_id": ["a", "b", "c", "d", ""],
}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({name: st.sampled_from(values) for name, values in VALUES.items()}),
        min_size=1,
        max_size=25,
    )
)
def test_every_row_is_either_stored_or_quarantined(changes: list[dict[str, str]]) -> None:
    rows = [row("contacts", **change) for change in changes]
    with tempfile.TemporaryDirectory() as folder:
        valid, invalid = validate(write_csv(Path(folder) / "c.csv", rows), "contacts")
    assert valid.height + invalid.height == len(rows)
    lines = sorted(valid.get_column("_line").to_list() + invalid.get_column("_line").to_list())
    assert lines == list(range(2, len(rows) + 2))
    assert all(reasons for reasons in invalid.get_column("_reasons").to_list())
