"""The quarantine: one file's bad rows written by blocks, read back in file and line order.

A quarantined row is its physical line, its raw text values as a JSON object (`raw_json`) and
its reason codes as a JSON list (`reasons_json`). Up to `BLOCK_ROWS` of them, in line order,
are one row of `quarantine_block`, as a Parquet file compressed with zstd at level 1 (faster
than the default level 3 and smaller here: 0.6 s and 19 MB against 0.9 s and 24 MB for the 1M
rows of bench/quarantine.py). One SQL row per bad row cost that file 4 to 6 s of inserts
and 1.2 to 1.5 s of commit on SQLite (340 MB written twice, through the WAL), 8 to 13 s on
PostgreSQL (docs/storage.md, issue 22). The texts are those the former `quarantined_row`
table held, byte for byte: revision 0006_quarantine_blocks moved its rows here unchanged
(`move_quarantined_rows`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import polars as pl
from sqlalchemy import Table, insert, select, text
from sqlalchemy.engine import Connection, Engine

from slaengine.adapters.storage.feed_tables import FeedFileRow, QuarantineBlockRow

BLOCK_ROWS = 50_000  # bad rows per block: ~0.9 MB of Parquet for the rows of bench/quarantine.py

QUARANTINE_BLOCK: Table = QuarantineBlockRow.__table__  # type: ignore[attr-defined]
_FEED_FILE: Table = FeedFileRow.__table__  # type: ignore[attr-defined]

_SCHEMA = pl.Schema({"line": pl.Int64(), "raw_json": pl.String(), "reasons_json": pl.String()})


def write_quarantine(
    connection: Connection, contract_id: str, file_id: int, rows: pl.DataFrame
) -> None:
    """Store one file's quarantined rows (`line`, `raw_json`, `reasons_json`), kept in line
    order: rows of one line keep the order they are given in (as ids ordered them before)."""
    ordered = rows.select(_SCHEMA.names()).cast(_SCHEMA).sort("line", maintain_order=True)
    for block in ordered.iter_slices(n_rows=BLOCK_ROWS):
        connection.execute(insert(QUARANTINE_BLOCK).values(_block(contract_id, file_id, block)))


def _block(contract_id: str, file_id: int, block: pl.DataFrame) -> dict[str, Any]:
    payload = io.BytesIO()
    block.write_parquet(payload, compression="zstd", compression_level=1, statistics=False)
    lines = block.get_column("line")
    return {
        "contract_id": contract_id,
        "file_id": file_id,
        "first_line": int(lines[0]),
        "last_line": int(lines[-1]),
        "rows": block.height,
        "payload": payload.getvalue(),
    }


def read_quarantine(
    engine: Engine, contract_id: str, file_id: int | None = None
) -> Iterator[tuple[int, str, int, str, str]]:
    """(file_id, file_name, line, raw_json, reasons_json) of the contract's quarantined rows,
    of one file when `file_id` is given, by file and line. Blocks of files no longer recorded
    in `feed_file` are not given (as the former table's rows were not)."""
    q, f = QUARANTINE_BLOCK, _FEED_FILE
    query = (
        select(q.c.file_id, f.c.file_name, q.c.payload)
        .join(f, f.c.id == q.c.file_id)
        .where(q.c.contract_id == contract_id)
        .order_by(q.c.file_id, q.c.first_line, q.c.id)
    )
    if file_id is not None:
        query = query.where(q.c.file_id == file_id)
    with engine.connect() as connection:
        blocks = connection.execute(query).all()
    for block_file, name, payload in blocks:
        for line, raw, reasons in pl.read_parquet(io.BytesIO(payload)).iter_rows():
            yield int(block_file), str(name), line, raw, reasons


def move_quarantined_rows(connection: Connection) -> int:
    """Move the rows of the former `quarantined_row` table into blocks, texts unchanged, each
    (contract, file)'s rows in the order the table was read in (line, then id). Returns the
    rows moved; the caller drops the table."""
    owners = connection.execute(
        text("SELECT DISTINCT contract_id, file_id FROM quarantined_row ORDER BY file_id")
    ).all()
    moved = 0
    for contract_id, file_id in owners:
        found = connection.execute(
            text(
                "SELECT line, raw_json, reasons_json FROM quarantined_row"
                " WHERE contract_id = :contract AND file_id = :file ORDER BY line, id"
            ),
            {"contract": contract_id, "file": file_id},
        ).all()
        rows = pl.DataFrame([tuple(row) for row in found], schema=_SCHEMA, orient="row")
        write_quarantine(connection, str(contract_id), int(file_id), rows)
        moved += rows.height
    return moved
