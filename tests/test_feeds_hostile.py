"""Hostile feed files give the same stored, quarantined and reason counts on every backend.

Each file is ingested on SQLite and on PostgreSQL (the `engine` fixture) after a baseline of
good rows of every kind: the counts are the hand-worked ones below, the rows already stored
stay as they were, and a file refused as a whole changes nothing at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import feed_repo
from slaengine.cli import main
from slaengine.errors import FeedRefused
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed, quarantined_rows
from tests.conftest import CONTRACTS
from tests.feeds_builders import GOOD, contact, csv_text, row

EVER = (datetime(2, 1, 1, tzinfo=UTC), datetime(9998, 12, 31, tzinfo=UTC))
HUGE = 140_000  # over the csv module's default field limit of 131,072 characters

LATE = {"arrived_at": "9999-12-31T23:59:00-05:00", "answered": "9999-12-31T23:59:10-05:00"}
EARLY = {"arrived_at": "0001-01-01T00:00:00+01:00", "answered": "0001-01-01T00:00:09+01:00"}

# Rows of the hostile contacts file, in order, each with the reasons it must get.
CONTACT_ROWS: list[tuple[dict[str, str], list[str]]] = [
    (contact("h-ok"), []),
    (contact("h-nul\x00id"), ["control_character"]),
    (contact("h-q", queue="sales\x00"), ["control_character"]),
    (contact("h-ch", channel="phone\x01"), ["bad_channel", "control_character"]),
    (contact("h-tab", queue="sales\tnight"), []),
    (contact("x" * 200), []),
    (contact("y" * 201), ["contact_id_too_long"]),
    (contact("h-longq", queue="q" * 201), ["queue_too_long"]),
    (contact("h-late", **LATE), ["timestamp_out_of_range"]),
    (contact("h-early", **EARLY), ["timestamp_out_of_range"]),
    (contact("h-lf", queue="two\nlines"), ["control_character"]),
    (contact("h-end"), []),
]
CONTACT_REASONS = {
    "bad_channel": 1,
    "contact_id_too_long": 1,
    "control_character": 4,
    "queue_too_long": 1,
    "timestamp_out_of_range": 2,
}


@dataclass(frozen=True)
class Hostile:
    """A hostile file of one kind and what ingesting it must give."""

    name: str
    kind: str
    content: bytes
    rows: int
    stored: int
    reasons: dict[str, int]
    bad_lines: list[int]


def _csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    return csv_text(rows, columns).encode()


def _jsonl(rows: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _parquet(rows: list[dict[str, str]], tmp: Path) -> bytes:
    pl.DataFrame(rows).write_parquet(tmp)
    return tmp.read_bytes()


def _interval(**changes: str) -> dict[str, str]:
    return row("intervals", **changes)


def hostile_files(tmp_path: Path) -> list[Hostile]:
    rows = [r for r, _ in CONTACT_ROWS]
    huge_columns = [*GOOD["contacts"], "notes"]
    quoted = 'big "quoted", ' + "x" * HUGE
    plain = contact("c-1")
    return [
        Hostile("control.csv", "contacts", _csv(rows), 12, 4, CONTACT_REASONS, _lines(2)),
        Hostile("control.jsonl", "contacts", _jsonl(rows), 12, 4, CONTACT_REASONS, _lines(1)),
        Hostile(
            "control.parquet",
            "contacts",
            _parquet(rows, tmp_path / "p.parquet"),
            12,
            4,
            CONTACT_REASONS,
            _lines(2),
        ),
        Hostile(
            "cr-only.csv",
            "contacts",
            _csv([plain, contact("c-2"), contact("c-3", queue='"a\rb"')]).replace(b"\n", b"\r"),
            3,
            2,
            {"control_character": 1},
            [4],
        ),
        Hostile(
            "crlf.csv",
            "contacts",
            _csv([contact("d-1"), contact("d-2")]).replace(b"\n", b"\r\n"),
            2,
            2,
            {},
            [],
        ),
        Hostile(
            "huge.csv",
            "contacts",
            _csv(
                [
                    contact("e-1", notes=""),
                    contact("e-2", queue=quoted, notes=""),
                    contact("e-3", notes="n" * 2 * HUGE),
                ],
                huge_columns,
            ),
            3,
            2,
            {"queue_too_long": 1},
            [3],
        ),
        Hostile(
            "intervals.csv",
            "intervals",
            _csv(
                [
                    _interval(queue="i-ok"),
                    _interval(queue="big", offered="2147483648"),
                    _interval(queue="night\x00"),
                    _interval(queue="q" * 201),
                    _interval(queue="late", interval_start="9999-12-31T23:45:00-05:00"),
                    _interval(queue="i-ok", interval_start="2026-10-01T08:15:00+02:00"),
                ]
            ),
            6,
            2,
            {
                "control_character": 1,
                "number_out_of_range": 1,
                "queue_too_long": 1,
                "timestamp_out_of_range": 1,
            },
            [3, 4, 5, 6],
        ),
        Hostile(
            "costs.csv",
            "costs",
            _csv(
                [
                    row("costs", month="2026-11"),
                    row("costs", channel="phone", amount="1" * 41),
                    row("costs", month="9999-12"),
                    row("costs", currency="EU\x00"),
                    row("costs", month="0001-01", channel="chat"),
                ]
            ),
            5,
            1,
            {
                "amount_too_long": 1,
                "bad_currency": 1,
                "control_character": 1,
                "timestamp_out_of_range": 2,
            },
            [3, 4, 5, 6],
        ),
        Hostile(
            "forecasts.csv",
            "forecasts",
            _csv(
                [
                    row("forecasts", date="2026-10-05"),
                    row("forecasts", date="0001-01-01"),
                    row("forecasts", date="2026-10-06", contacts="2147483648"),
                    row("forecasts", date="2026-10-07", channel="chat\x00"),
                ]
            ),
            4,
            1,
            {
                "bad_channel": 1,
                "control_character": 1,
                "number_out_of_range": 1,
                "timestamp_out_of_range": 1,
            },
            [3, 4, 5],
        ),
    ]


def _lines(first: int) -> list[int]:
    """Lines of the bad rows of CONTACT_ROWS when row n (0-based) is on line first + n.

    In the CSV the only row spanning two lines ("two\\nlines") is the last bad one.
    """
    return [first + n for n, (_, reasons) in enumerate(CONTACT_ROWS) if reasons]


@pytest.fixture
def acme(engine: Engine) -> Engine:
    """Both backends, the acme contract, and a baseline of good rows of every kind."""
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    return engine


def _baseline(engine: Engine, folder: Path) -> None:
    for kind in ("contacts", "intervals", "costs", "forecasts"):
        rows = [contact("base-1"), contact("base-2")] if kind == "contacts" else [GOOD[kind]]
        path = folder / f"base-{kind}.csv"
        path.write_bytes(_csv(rows))
        assert ingest_feed(engine, "acme-l1", kind, path).stored == len(rows)


def stored_state(engine: Engine) -> dict[str, Any]:
    """Everything the read side sees: current rows of every kind, quarantine, file records."""
    return {
        "contacts": set(feed_repo.contacts_frame(engine, "acme-l1", *EVER).rows()),
        "intervals": set(feed_repo.intervals_frame(engine, "acme-l1", *EVER).rows()),
        "costs": {c for m in ("2026-10", "2026-11") for c in feed_repo.costs(engine, "acme-l1", m)},
        "forecasts": set(feed_repo.forecasts(engine, "acme-l1", date(2, 1, 1), date(9998, 1, 1))),
        "quarantine": [r.to_json() for r in quarantined_rows(engine, "acme-l1")],
        "files": len(feed_repo.feed_files(engine, "acme-l1")),
    }


def test_the_hostile_contacts_rows_are_the_ones_listed() -> None:
    # The expectations above, counted from the row list rather than typed twice.
    reasons: dict[str, int] = {}
    for _, codes in CONTACT_ROWS:
        for code in codes:
            reasons[code] = reasons.get(code, 0) + 1
    assert reasons == CONTACT_REASONS
    assert sum(not codes for _, codes in CONTACT_ROWS) == 4


HOSTILE = ["control.csv", "control.jsonl", "control.parquet", "cr-only.csv", "crlf.csv",
           "huge.csv", "intervals.csv", "costs.csv", "forecasts.csv"]  # fmt: skip


@pytest.mark.parametrize("pieces", [False, True], ids=["whole", "in-pieces"])
@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=HOSTILE)
def test_a_hostile_file_gives_the_same_counts_on_every_backend(
    acme: Engine, tmp_path: Path, index: int, pieces: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pieces:  # read, validated and stored in pieces of 64 bytes (Parquet: 2 rows)
        from slaengine.adapters.feeds import readers

        monkeypatch.setattr(readers, "CHUNK_BYTES", 64)
        monkeypatch.setattr(readers, "BATCH_ROWS", 2)
    _baseline(acme, tmp_path)
    before = stored_state(acme)
    case = hostile_files(tmp_path)[index]
    path = tmp_path / case.name
    path.write_bytes(case.content)
    report = ingest_feed(acme, "acme-l1", case.kind, path)
    quarantined = case.rows - case.stored
    assert (report.rows, report.stored, report.quarantined) == (case.rows, case.stored, quarantined)
    assert report.reasons == case.reasons
    after = stored_state(acme)
    bad = [r for r in after["quarantine"] if r["file_id"] == report.file_id]
    assert [r["line"] for r in bad] == case.bad_lines
    assert after["files"] == before["files"] + 1
    for kind in ("contacts", "intervals", "costs", "forecasts"):
        assert before[kind] <= after[kind], f"stored {kind} rows changed"
    added = sum(len(after[k] - before[k]) for k in ("contacts", "intervals", "costs", "forecasts"))
    assert added == case.stored


def test_quarantined_raw_values_keep_their_control_characters(acme: Engine, tmp_path: Path) -> None:
    path = tmp_path / "control.csv"
    path.write_bytes(hostile_files(tmp_path)[0].content)
    ingest_feed(acme, "acme-l1", "contacts", path)
    bad = quarantined_rows(acme, "acme-l1")
    assert bad[0].raw["contact_id"] == "h-nul\x00id"
    assert bad[1].raw["queue"] == "sales\x00"
    assert bad[-1].raw["queue"] == "two\nlines"
    assert [len(r.raw["contact_id"]) for r in bad if r.reasons == ["contact_id_too_long"]] == [201]


REFUSED: list[tuple[str, bytes, str]] = [
    (
        "array.jsonl",
        b'{"contact_id": "r1", "channel": "phone"}\n[1, 2, 3]\n',
        ":2: not readable JSON Lines: line 2 is an array, not a JSON object",
    ),
    (
        "number.jsonl",
        b'{"contact_id": "r1", "channel": "phone"}\r\n42\r\n',
        ":2: not readable JSON Lines: line 2 is a number, not a JSON object",
    ),
    (
        "broken.jsonl",
        b'{"contact_id": "r1", "channel": "phone"}\n{"contact_id": \n',
        ":2: not readable JSON Lines: line 2 is not valid JSON (Expecting value at column 16)",
    ),
    (
        "nested.jsonl",
        b'{"contact_id": "r1", "csat": 5}\n{"contact_id": "r2", "csat": {"a": 1}}\n',
        ":2: not readable JSON Lines: line 2: the value of 'csat' is an object, not a plain value",
    ),
    (
        "overflow.jsonl",
        b'{"contact_id": "r1", "csat": 5}\n{"contact_id": "r2", "csat": 1e400}\n',
        ":2: not readable JSON Lines: line 2: the value of 'csat' is a number out of range",
    ),
    ("latin1.csv", "contact_id\ncafé\n".encode("latin-1"), ":2: the file is not UTF-8"),
    ("utf16.csv", "contact_id\nc1\n".encode("utf-16"), ":1: the file is not UTF-8"),
    ("empty.csv", b"\r\n\r\n", ": the file is empty"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED, ids=[r[0] for r in REFUSED])
@pytest.mark.parametrize("pieces", [False, True], ids=["whole", "in-pieces"])
def test_a_file_that_is_no_feed_is_refused_in_words_and_changes_nothing(
    acme: Engine, tmp_path: Path, name: str, content: bytes, message: str, pieces: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    if pieces:  # read in pieces of 16 bytes (Parquet: 1 row): the same message, nothing stored
        from slaengine.adapters.feeds import readers

        monkeypatch.setattr(readers, "CHUNK_BYTES", 16)
        monkeypatch.setattr(readers, "BATCH_ROWS", 1)
    _baseline(acme, tmp_path)
    before = stored_state(acme)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FeedRefused) as refused:
        ingest_feed(acme, "acme-l1", "contacts", path)
    assert str(refused.value).startswith(f"{path}{message}")
    assert stored_state(acme) == before


def test_the_cli_reports_hostile_files_the_same_on_every_backend(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", database_url)
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    runner = CliRunner()
    loaded = runner.invoke(main, ["contract", "load", str(CONTRACTS / "acme-l1.yaml")])
    assert loaded.exit_code == 0, loaded.output
    case = hostile_files(tmp_path)[0]
    path = tmp_path / case.name
    path.write_bytes(case.content)
    result = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(path), "--json"])
    assert (result.exit_code, json.loads(result.stdout)) == (
        0,
        {
            "rows": 12,
            "stored": 4,
            "quarantined": 8,
            "reasons": CONTACT_REASONS,
            "unchanged": False,
            "file_id": 1,
        },
    )
    refused = tmp_path / "array.jsonl"
    refused.write_bytes(REFUSED[0][1])
    again = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(refused), "--json"])
    assert again.exit_code == 1
    assert again.stderr == (
        f"error: {refused}:2: not readable JSON Lines: line 2 is an array, not a JSON object"
        ' (one object per line expected, e.g. {"contact_id": "c1", ...})\n'
    )
    listing = runner.invoke(main, ["feed", "quarantine", "acme-l1", "--json"])
    assert listing.exit_code == 0
    assert [r["line"] for r in json.loads(listing.stdout)] == case.bad_lines
