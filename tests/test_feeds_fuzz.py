"""Fuzzing the feed ingest: rows built from the feed schemas, then mutated, through ingest_feed.

The strategies read the kinds' columns and stored types from `schemas.SPECS`: a valid row
gives each column a value its type accepts; a mutation then swaps values for wrong types,
control characters, huge or odd text and extreme instants, drops or adds columns, and writes
the file as CSV (any line ending, with or without a byte-order mark, sometimes not UTF-8),
JSON Lines or Parquet. Whatever comes, the ingest either refuses the file in words
(FeedRefused, nothing stored) or accounts for every row: rows = stored + quarantined, the
same on SQLite and PostgreSQL. Budgets are bounded (a few seconds per test) for `make test`;
SLAENGINE_FUZZ_EXAMPLES=500 runs a deeper search.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from slaengine.adapters.feeds.schemas import (
    CHANNELS,
    INTERVAL_MINUTES,
    KINDS,
    REAL_TIME_CHANNELS,
    REASONS,
    SPECS,
)
from slaengine.adapters.storage import feed_repo
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.errors import FeedRefused
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS, _fresh_postgres_database

EXAMPLES = int(os.environ.get("SLAENGINE_FUZZ_EXAMPLES", "25"))  # deeper runs: set it higher
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_UTC = pl.Datetime("us", "UTC")

# --- valid values, by the stored type of each column ---------------------------------------

_ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=24)
_offsets = st.sampled_from(["Z", "+00:00", "+02:00", "-05:00", "+05:30", "+14:00", "-12:00"])


@st.composite
def _instant(draw: st.DrawFn, aligned: bool = False) -> str:
    day = draw(st.integers(1, 28))
    hour = draw(st.integers(0, 23))
    minute = draw(st.sampled_from([0, 15, 30, 45])) if aligned else draw(st.integers(0, 59))
    second = 0 if aligned else draw(st.integers(0, 59))
    return f"2026-10-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{draw(_offsets)}"


def _valid_value(kind: str, name: str, dtype: pl.DataType) -> st.SearchStrategy[str]:
    """A value the column accepts, from its name and stored type."""
    named: dict[str, st.SearchStrategy[str]] = {
        "contact_id": _ids,
        "queue": st.sampled_from(["general", "billing", "vip", ""]),
        "channel": st.sampled_from(REAL_TIME_CHANNELS if kind == "intervals" else CHANNELS),
        "interval_minutes": st.sampled_from([str(m) for m in INTERVAL_MINUTES]),
        "month": st.sampled_from(["2026-09", "2026-10", "2026-11"]),
        "amount": st.decimals(0, 10**6, places=2).map(str),
        "currency": st.sampled_from(["EUR", "USD", "GBP"]),
        "kind": st.sampled_from(["fee", "other"]),
        "resolved_first_contact": st.sampled_from(["true", "false", "1", "0", ""]),
        "csat": st.integers(1, 5).map(str),
        "nps": st.integers(0, 10).map(str),
        "date": st.integers(1, 28).map(lambda d: f"2026-10-{d:02d}"),
    }
    if name in named:
        return named[name]
    if dtype == _UTC:
        return _instant(aligned=kind == "intervals")
    if dtype == pl.Int64():
        return st.integers(0, 1000).map(str)
    if dtype == pl.Float64():
        return st.floats(0, 10_000, allow_nan=False).map(lambda x: f"{x:.3f}")
    return _ids


def valid_row(kind: str) -> st.SearchStrategy[dict[str, str]]:
    spec = SPECS[kind]
    stored = {**spec.stored, **{n: pl.String() for n in spec.columns if n not in spec.stored}}
    return st.fixed_dictionaries({n: _valid_value(kind, n, stored[n]) for n in spec.columns})


# --- mutations -----------------------------------------------------------------------------

_control = st.integers(0, 31).filter(lambda c: c != 9).map(chr)
_hostile_text = st.one_of(
    st.sampled_from(["", " ", "abc", "1.5", "-1", "NaN", "inf", "-0", "1e309", "null", "true"]),
    st.sampled_from(["9999-12-31T23:59:00-05:00", "0001-01-01T00:00:00+01:00", "2026-02-30"]),
    st.sampled_from(["+12026-01-01T00:00:00Z", "2026-10-01 08:00", "2026-10-01T08:00:00"]),
    st.sampled_from(["2147483648", "-2147483649", "9" * 40, "1" * 41, "x" * 201]),
    st.sampled_from(["\ufeffbom", "caf\u00e9", "\u202eevil", "a\u2028b", "\U0001f600", '"q,"']),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=5), _control, st.text(max_size=5)),
    st.text(max_size=30),
    st.integers(1, 3).map(lambda n: "z" * (131_072 * n // 2)),  # up to 196,608 characters
)


@st.composite
def mutated_rows(draw: st.DrawFn, kind: str) -> tuple[list[str], list[dict[str, str]]]:
    """Valid rows, then some values swapped for hostile ones and some columns dropped/added."""
    rows = draw(st.lists(valid_row(kind), min_size=1, max_size=8))
    columns = list(SPECS[kind].columns)
    for row in rows:
        for name in draw(st.lists(st.sampled_from(columns), max_size=3)):
            row[name] = draw(_hostile_text)
    if draw(st.booleans()):  # drop a column, sometimes a required one
        columns.remove(draw(st.sampled_from(columns)))
    if draw(st.booleans()):  # add an extra column (a name may be odd, even a duplicate)
        extra = draw(st.sampled_from(["notes", "Notes ", "_line", "channel", "c\u00f6l"]))
        columns.append(extra)
        for row in rows:
            row[extra] = draw(_hostile_text)
    return columns, rows


# --- writing a file ------------------------------------------------------------------------


def _csv_bytes(columns: list[str], rows: list[dict[str, str]], ending: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(columns)
    writer.writerows([[r.get(c, "") for c in columns] for r in rows])
    return out.getvalue()


@st.composite
def feed_files(draw: st.DrawFn, kind: str) -> tuple[str, bytes]:
    """(file name, bytes) of a mutated feed: CSV, JSON Lines or Parquet."""
    columns, rows = draw(mutated_rows(kind))
    form = draw(st.sampled_from(["csv", "csv", "jsonl", "parquet"]))
    if form == "parquet":
        names = list(dict.fromkeys(columns))
        data = {c: [r.get(c, "") for r in rows] for c in names}
        buffer = io.BytesIO()
        pl.DataFrame(data, schema=dict.fromkeys(names, pl.String)).write_parquet(buffer)
        return "feed.parquet", buffer.getvalue()
    if form == "jsonl":
        typed = draw(st.booleans())  # numbers as JSON numbers: wrong types for the text reader
        lines = [json.dumps({c: _json_value(r.get(c, ""), typed) for c in columns}) for r in rows]
        return "feed.jsonl", ("\n".join(lines) + "\n").encode()
    text = _csv_bytes(columns, rows, draw(st.sampled_from(["\n", "\r\n", "\r"])))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return "feed.csv", text.encode(encoding, errors="replace")


def _json_value(value: str, typed: bool) -> Any:
    if typed and value.isascii() and value.isdigit() and len(value) < 18:  # not "¹"
        return int(value)
    return value


# --- the invariant -------------------------------------------------------------------------


@pytest.fixture
def acme(engine: Engine) -> Engine:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    return engine


def _ingest_accounts_for_every_row(engine: Engine, path: Path, kind: str, content: bytes) -> None:
    path.write_bytes(content)
    try:
        report = ingest_feed(engine, "acme-l1", kind, path)
    except FeedRefused as refused:  # a file that is no feed: refused in one line, in words
        message = str(refused)
        assert message.startswith(str(path)) and "Traceback" not in message
        event(f"refused: {re.sub(r'^(:[0-9]+)?: ', '', message.removeprefix(str(path)))[:40]}")
        return
    event("quarantined some rows" if report.quarantined else "stored every row")
    assert report.rows == report.stored + report.quarantined
    assert set(report.reasons) <= set(REASONS)
    record = feed_repo.feed_file(engine, report.file_id)
    assert record is not None
    assert (record.rows, record.stored, record.quarantined) == (
        report.rows,
        report.stored,
        report.quarantined,
    )


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_a_mutated_feed_is_refused_in_words_or_every_row_is_accounted_for(
    acme: Engine, tmp_path: Path, kind: str, data: st.DataObject
) -> None:
    name, content = data.draw(feed_files(kind))
    _ingest_accounts_for_every_row(acme, tmp_path / name, kind, content)


@FUZZ
@given(
    rows=st.lists(
        valid_row("contacts"), min_size=1, max_size=10, unique_by=lambda r: r["contact_id"]
    )
)
def test_valid_rows_built_from_the_schema_are_stored_or_fail_only_annex_rules(
    acme: Engine, tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    # Valid values one by one; a row may still break a cross-column rule of the annex (e.g. a
    # phone contact neither answered nor abandoned) but never a storability rule.
    path = tmp_path / "valid.csv"
    columns = list(SPECS["contacts"].columns)
    path.write_text(_csv_bytes(columns, rows, "\n"), encoding="utf-8")
    report = ingest_feed(acme, "acme-l1", "contacts", path)
    assert report.rows == len(rows) == report.stored + report.quarantined
    storability = {
        "control_character", "contact_id_too_long", "queue_too_long", "number_out_of_range",
        "timestamp_out_of_range", "bad_timestamp", "bad_number", "bad_channel",
    }  # fmt: skip
    assert not storability & set(report.reasons)


@pytest.fixture
def both(
    sqlite_engine: Engine, postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Engine, Engine]]:
    """A SQLite and a PostgreSQL database with the acme contract (skips without PostgreSQL),
    each with its own store (one store belongs to one catalogue)."""
    from slaengine.adapters.columnar.location import bind_data_location

    monkeypatch.delenv("SLAENGINE_DATA_URL")
    for url in _fresh_postgres_database(postgres_server):
        postgres = make_engine(url)
        bind_data_location(sqlite_engine, str(tmp_path / "sqlite.data"))
        bind_data_location(postgres, str(tmp_path / "postgres.data"))
        create_schema(postgres)
        for engine in (sqlite_engine, postgres):
            load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
        yield sqlite_engine, postgres
        postgres.dispose()


@FUZZ
@given(data=st.data())
def test_the_same_mutated_feed_gives_the_same_report_on_sqlite_and_postgresql(
    both: tuple[Engine, Engine], tmp_path: Path, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(KINDS))
    name, content = data.draw(feed_files(kind))
    path = tmp_path / name
    path.write_bytes(content)
    outcomes = []
    for engine in both:
        try:
            report = ingest_feed(engine, "acme-l1", kind, path).to_json()
            outcomes.append({k: report[k] for k in ("rows", "stored", "quarantined", "reasons")})
        except FeedRefused as refused:
            outcomes.append({"refused": str(refused)})
    assert outcomes[0] == outcomes[1]
