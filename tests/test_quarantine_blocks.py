"""The quarantine kept by blocks of bad rows (issue 22): the same rows, raw values, reasons and
order whatever the blocks' size, the same on SQLite and PostgreSQL, and the rows of the former
table of one SQL row per bad row moved unchanged by revision 0006_quarantine_blocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import quarantine_store
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.quarantine_store import read_quarantine
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed, quarantined_rows
from tests.conftest import CONTRACTS, _fresh_postgres_database
from tests.feeds_builders import contact, write_csv
from tests.test_feeds_hostile import hostile_files


@pytest.fixture
def acme(engine: Engine) -> Engine:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    return engine


def _seven_bad(path: Path) -> Path:
    """Seven contacts, each bad (csat 11 or channel fax), the fourth good: lines 2 to 9."""
    rows = [
        contact(f"b{n}", csat="11") if n % 2 else contact(f"b{n}", channel="fax") for n in range(8)
    ]
    rows[3] = contact("good")
    return write_csv(path, rows)


SEVEN = [
    (2, "b0", ["bad_channel"]),
    (3, "b1", ["csat_out_of_range"]),
    (4, "b2", ["bad_channel"]),
    (6, "b4", ["bad_channel"]),
    (7, "b5", ["csat_out_of_range"]),
    (8, "b6", ["bad_channel"]),
    (9, "b7", ["csat_out_of_range"]),
]


def _blocks(engine: Engine) -> list[tuple[int, int, int]]:
    query = "SELECT first_line, last_line, rows FROM quarantine_block ORDER BY first_line"
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]  # type: ignore[misc]


def test_a_quarantine_in_blocks_of_two_rows_reads_back_every_row_in_line_order(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quarantine_store, "BLOCK_ROWS", 2)
    report = ingest_feed(acme, "acme-l1", "contacts", _seven_bad(tmp_path / "seven.csv"))
    assert (report.stored, report.quarantined) == (1, 7)
    assert _blocks(acme) == [(2, 3, 2), (4, 6, 2), (7, 8, 2), (9, 9, 1)]
    bad = quarantined_rows(acme, "acme-l1")
    assert [(r.line, r.raw["contact_id"], r.reasons) for r in bad] == SEVEN
    assert bad[0].raw == contact("b0", channel="fax")
    assert quarantined_rows(acme, "acme-l1", file_id=report.file_id) == bad
    assert quarantined_rows(acme, "acme-l1", file_id=report.file_id + 1) == []


def test_a_file_without_bad_rows_stores_no_block(acme: Engine, tmp_path: Path) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "ok.csv", [contact("g")]))
    assert _blocks(acme) == []


@pytest.fixture
def sqlite_and_postgres(
    sqlite_engine: Engine, postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Engine, Engine]]:
    """A SQLite and a PostgreSQL catalogue with the acme contract, each with its own store."""
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


def test_the_quarantine_of_hostile_files_is_the_same_on_sqlite_and_postgresql(
    sqlite_and_postgres: tuple[Engine, Engine], tmp_path: Path
) -> None:
    cases = [case for case in hostile_files(tmp_path) if case.rows != case.stored]
    listed = []
    for engine in sqlite_and_postgres:
        for case in cases:
            path = tmp_path / case.name
            path.write_bytes(case.content)
            ingest_feed(engine, "acme-l1", case.kind, path)
        listed.append([row.to_json() for row in quarantined_rows(engine, "acme-l1")])
    assert listed[0] == listed[1]
    assert len(listed[0]) == sum(case.rows - case.stored for case in cases)
    assert "h-nul\x00id" in {row["raw"].get("contact_id") for row in listed[0]}


# --- the upgrade from `quarantined_row` --------------------------------------------------------

_OLD_TABLE = [  # the former table as revision 0005 left it (ids given, on both backends)
    "CREATE TABLE quarantined_row (id INTEGER PRIMARY KEY, contract_id VARCHAR(64) NOT NULL,"
    " file_id INTEGER NOT NULL, line INTEGER NOT NULL, raw_json TEXT NOT NULL,"
    " reasons_json TEXT NOT NULL)",
    "CREATE INDEX ix_quarantined_row_contract_id ON quarantined_row (contract_id)",
    "CREATE INDEX ix_quarantined_row_file_id ON quarantined_row (file_id)",
]

_OLD_QUERY = (  # what `feed quarantine` read from it
    "SELECT q.file_id, f.file_name, q.line, q.raw_json, q.reasons_json FROM quarantined_row q"
    " JOIN feed_file f ON f.id = q.file_id WHERE q.contract_id = :contract {more}"
    " ORDER BY q.file_id, q.line, q.id"
)


def _old_quarantine(engine: Engine, first: int, second: int) -> None:
    """The two files' rows in the former table, with ids out of line order, a line given twice
    (its rows ordered by id), a null raw value, another contract's row, an unknown file's."""
    rows: list[dict[str, Any]] = [
        {"c": "acme-l1", "f": fid, "l": line, "r": raw, "q": reasons}
        for fid, _name, line, raw, reasons in read_quarantine(engine, "acme-l1")
    ]
    rows += [
        {"c": "acme-l1", "f": first, "l": 3, "r": '{"contact_id":"x3b"}', "q": '["bad_channel"]'},
        {"c": "acme-l1", "f": second, "l": 5, "r": '{"contact_id":null,"csat":"11"}', "q": "[]"},
        {"c": "other", "f": first, "l": 2, "r": '{"a":"b"}', "q": '["bad_channel"]'},
        {"c": "acme-l1", "f": 999, "l": 2, "r": '{"a":"b"}', "q": '["bad_channel"]'},
    ]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM quarantine_block"))
        for statement in _OLD_TABLE:
            connection.execute(text(statement))
        for n, row in enumerate(rows):  # ids: 100 down to 100 - len(rows) + 1
            connection.execute(
                text("INSERT INTO quarantined_row VALUES (:id, :c, :f, :l, :r, :q)"),
                row | {"id": 100 - n},
            )
        connection.execute(text("UPDATE alembic_version SET version_num = '0005_relief'"))


def _read_old(engine: Engine, contract: str, file_id: int | None = None) -> list[tuple[Any, ...]]:
    more, values = ("AND q.file_id = :file", {"file": file_id}) if file_id else ("", {})
    with engine.connect() as connection:
        found = connection.execute(
            text(_OLD_QUERY.format(more=more)), {"contract": contract} | values
        )
        return [tuple(row) for row in found]


def test_the_upgrade_moves_the_former_tables_rows_unchanged_and_in_their_order(
    acme: Engine, tmp_path: Path
) -> None:
    first = ingest_feed(acme, "acme-l1", "contacts", _seven_bad(tmp_path / "a.csv")).file_id
    other = [contact("c1", csat="11"), contact("c2", channel="fax"), contact("c3", csat="0")]
    second = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", other))
    _old_quarantine(acme, first, second.file_id)
    before = {
        "acme": _read_old(acme, "acme-l1"),
        "other": _read_old(acme, "other"),
        "second": _read_old(acme, "acme-l1", second.file_id),
    }
    assert len(before["acme"]) == 7 + second.quarantined + 2 and [
        r[2] for r in before["acme"][:3]
    ] == [2, 3, 3]

    assert create_schema(acme)[0] == "0006_quarantine_blocks"
    assert "quarantined_row" not in inspect(acme).get_table_names()
    assert list(read_quarantine(acme, "acme-l1")) == before["acme"]
    assert list(read_quarantine(acme, "other")) == before["other"]
    assert list(read_quarantine(acme, "acme-l1", second.file_id)) == before["second"]
    rows = quarantined_rows(acme, "acme-l1")
    assert [r.raw["contact_id"] for r in rows[:3]] == ["b0", "x3b", "b1"]  # line 3: by id
    assert {"contact_id": "", "csat": "11"} in [r.raw for r in rows]  # a null read as ""
    assert create_schema(acme) == []


def test_postgresql_does_not_compress_the_compressed_blocks_again(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    query = (
        "SELECT attstorage FROM pg_attribute"
        " WHERE attrelid = 'quarantine_block'::regclass AND attname = 'payload'"
    )
    with engine.connect() as connection:
        assert connection.execute(text(query)).scalar_one() == "e"  # EXTERNAL: no pglz
