"""Reading feed files: text columns, physical line numbers, the same rows from every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from slaengine.adapters.feeds.readers import read_feed_file
from slaengine.adapters.feeds.schemas import check_columns, validate_frame
from slaengine.errors import FeedRefused
from tests.feeds_builders import GOOD, contact, row, write_csv


def test_csv_lines_count_the_header_and_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        'contact_id,channel,queue\na,phone,q1\nb,chat,"two\nlines"\n\nc,email,q3\r\n',
        encoding="utf-8",
    )
    frame = read_feed_file(path)
    assert frame.get_column("_line").to_list() == [2, 3, 6]
    assert frame.get_column("queue").to_list() == ["q1", "two\nlines", "q3"]
    assert frame.schema == {
        "contact_id": pl.String,
        "channel": pl.String,
        "queue": pl.String,
        "_line": pl.Int64,
    }


def test_csv_without_quotes_skips_blank_lines_in_its_numbering(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("contact_id,channel\na,phone\n\n,\nb,chat\n", encoding="utf-8")
    assert read_feed_file(path).get_column("_line").to_list() == [2, 5]


def test_jsonl_lines_are_the_lines_of_the_objects(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"contact_id": "a", "csat": 4}\n\n{"contact_id": "b", "csat": null}\n')
    frame = read_feed_file(path)
    assert frame.to_dicts() == [
        {"contact_id": "a", "csat": "4", "_line": 1},
        {"contact_id": "b", "csat": None, "_line": 3},
    ]


def _rows() -> list[dict[str, str]]:
    return [
        contact("a"),
        contact("b", channel="email", answered="", handle_seconds=""),
        contact("c", arrived_at="2026-10-01T08:00:00"),
        contact("d", csat="7"),
    ]


def _outcome(frame: pl.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    checked = validate_frame(frame, "contacts")
    valid = checked.valid.drop("_line").to_dicts()
    invalid = checked.invalid.select("contact_id", "_reasons").to_dicts()
    return valid, invalid


def test_csv_jsonl_and_parquet_give_the_same_rows_and_reasons(tmp_path: Path) -> None:
    rows = _rows()
    csv_path = write_csv(tmp_path / "c.csv", rows)
    jsonl_path = tmp_path / "c.jsonl"
    jsonl_path.write_text(
        "".join(json.dumps({k: v or None for k, v in r.items()}) + "\n" for r in rows)
    )
    parquet_path = tmp_path / "c.parquet"
    pl.read_csv(csv_path, infer_schema=False).write_parquet(parquet_path)
    from_csv = _outcome(read_feed_file(csv_path))
    assert from_csv == _outcome(read_feed_file(jsonl_path))
    assert from_csv == _outcome(read_feed_file(parquet_path))
    assert [r["contact_id"] for r in from_csv[0]] == ["a", "b"]
    assert from_csv[1] == [
        {"contact_id": "c", "_reasons": ["timestamp_without_offset"]},
        {"contact_id": "d", "_reasons": ["csat_out_of_range"]},
    ]


def test_parquet_lines_are_row_index_plus_two_and_typed_values_become_text(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pl.DataFrame(
        {
            "contact_id": ["a", "b"],
            "arrived_at": pl.Series(
                ["2026-10-01T06:00:00", "2026-10-01T07:30:00.5"]
            ).str.to_datetime(time_zone="UTC"),
            "csat": [4, None],
            "resolved_first_contact": [True, False],
        }
    ).write_parquet(path)
    frame = read_feed_file(path)
    assert frame.to_dicts() == [
        {
            "contact_id": "a",
            "arrived_at": "2026-10-01T06:00:00+00:00",
            "csat": "4",
            "resolved_first_contact": "true",
            "_line": 2,
        },
        {
            "contact_id": "b",
            "arrived_at": "2026-10-01T07:30:00.500+00:00",
            "csat": None,
            "resolved_first_contact": "false",
            "_line": 3,
        },
    ]


def test_an_explicit_format_overrides_the_extension(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.txt", [GOOD["forecasts"]])
    assert read_feed_file(path, "csv").height == 1


def _refusal(path: Path, format: str | None = None) -> str:
    with pytest.raises(FeedRefused) as caught:
        read_feed_file(path, format)
    return str(caught.value)


def test_unknown_formats_are_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.txt", [GOOD["forecasts"]])
    assert _refusal(path) == (
        f"{path}: cannot tell the feed format from the extension '.txt'"
        " (expected .csv, .jsonl, .ndjson or .parquet)"
    )
    assert _refusal(path, "xlsx") == (
        f"{path}: unknown feed format 'xlsx' (expected csv, jsonl or parquet)"
    )


def test_empty_files_and_header_only_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _refusal(empty) == f"{empty}: the file is empty"
    header = tmp_path / "header.csv"
    header.write_text("date,channel,contacts\n")
    assert _refusal(header) == f"{header}: the file has no data rows"


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("date,channel,contacts\n2026-10-01,t\xe9l\xe9phone,3\n".encode("latin-1"))
    assert _refusal(path) == (
        f"{path}:2: the file is not UTF-8 (byte 0xe9 at offset 34); save it as UTF-8"
    )


def test_unparseable_files_are_refused_with_the_line(tmp_path: Path) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("date,channel\n2026-10-01,phone\n2026-10-02,phone,3\n")
    assert (
        _refusal(ragged) == f"{ragged}:3: not a readable CSV file: 3 fields where the header has 2"
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"date": "2026-10-01"}\n{"date":\n')
    assert _refusal(broken).startswith(f"{broken}:2: not readable JSON Lines: ")
    parquet = tmp_path / "broken.parquet"
    parquet.write_bytes(b"PAR1 not really")
    assert _refusal(parquet).startswith(f"{parquet}: not a readable Parquet file: ")


def test_a_repeated_header_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("date,channel,date\n2026-10-01,phone,2026-10-02\n")
    assert _refusal(path) == f"{path}:1: the column 'date' appears twice in the header"


def test_missing_columns_are_listed_with_what_was_found_and_a_guess(tmp_path: Path) -> None:
    rows = [{"contactid": "a", "channel": "phone", "arrived": "2026-10-01T08:00:00Z"}]
    path = write_csv(tmp_path / "c.csv", rows)
    with pytest.raises(FeedRefused) as caught:
        check_columns(read_feed_file(path), "contacts", path)
    assert str(caught.value) == (
        f"{path}: a contacts feed needs the column(s) contact_id, arrived_at;"
        " found contactid, channel, arrived; 'contactid' -> did you mean 'contact_id'?;"
        " 'arrived' -> did you mean 'arrived_at'?"
    )


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    rows = [
        {k: v for k, v in row("contacts").items() if k in ("contact_id", "channel", "arrived_at")}
    ]
    rows[0]["channel"] = "email"
    frame = read_feed_file(write_csv(tmp_path / "c.csv", rows))
    check_columns(frame, "contacts", "c.csv")
    valid = validate_frame(frame, "contacts").valid
    assert valid.select("queue", "answered_at", "csat").to_dicts() == [
        {"queue": "default", "answered_at": None, "csat": None}
    ]


def test_windows_line_ends_and_a_byte_order_mark_are_read_as_usual(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b"\xef\xbb\xbfdate,channel,contacts\r\n2026-10-01,phone,3\r\n\r\n2026-10-02,chat,4\r\n"
    )
    frame = read_feed_file(path)
    assert frame.columns == ["date", "channel", "contacts", "_line"]
    assert frame.get_column("_line").to_list() == [2, 4]
    assert frame.get_column("contacts").to_list() == ["3", "4"]
