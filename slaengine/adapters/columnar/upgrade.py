"""Moving the contacts, contact history and intervals of a database made before the columnar
store out of SQL (tables `contact`, `contact_history`, `interval_row`) into registered parts.

`upgrade_columnar_store` is meant for an Alembic revision: it runs on the revision's
connection, so the registry rows and the dropping of the old tables commit together; parts
written before a failure stay unregistered (invisible) until `slaengine storage sweep`.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from slaengine.adapters.columnar.guard import hold_shared
from slaengine.adapters.columnar.location import DataStore, open_store, store_at
from slaengine.adapters.columnar.store import (
    CONTACT_KIND,
    HISTORY_KIND,
    INTERVAL_KIND,
    PART,
    Changes,
    PartKind,
    write_parts,
)

_OLD_TABLES = ("contact", "contact_history", "interval_row")
_TIMES = {
    "arrived_at_us": "arrived_at",
    "answered_at_us": "answered_at",
    "abandoned_at_us": "abandoned_at",
    "interval_start_us": "interval_start",
    "replaced_at_us": "replaced_at",
}


def upgrade_columnar_store(connection: Connection, data_location: str | None = None) -> int:
    """Move the old tables' rows into the store at `data_location` (default: the engine's)
    and drop the old tables; returns the rows moved. Does nothing on a database without them.
    """
    present = set(inspect(connection).get_table_names())
    if not present & set(_OLD_TABLES):
        return 0
    PART.create(connection, checkfirst=True)
    hold_shared(connection)  # a writer: no sweep until the revision's transaction ends
    store = store_at(data_location) if data_location else open_store(connection.engine)
    providers = {
        int(file_id): str(provider)
        for file_id, provider in connection.execute(text("SELECT id, provider_id FROM feed_file"))
    }
    moved, changes = 0, Changes()
    plans = (
        ("contact", CONTACT_KIND, "file_id"),
        ("contact_history", HISTORY_KIND, "replaced_by_file_id"),
        ("interval_row", INTERVAL_KIND, "file_id"),
    )
    for table, kind, owner in plans:
        if table in present:
            moved += _move(connection, store, table, kind, owner, providers, changes)
    for table in _OLD_TABLES:
        if table in present:
            connection.execute(text(f"DROP TABLE {table}"))
    return moved


def _move(
    connection: Connection, store: DataStore, table: str, kind: PartKind, owner: str,
    providers: dict[int, str], changes: Changes,
) -> int:  # fmt: skip
    """One feed file (and contract) at a time, so memory is bounded by the largest file."""
    groups = connection.execute(
        text(f"SELECT DISTINCT {owner}, contract_id FROM {table} ORDER BY {owner}, contract_id")
    ).all()
    moved = 0
    for file_id, contract_id in groups:
        result = connection.execute(
            text(f"SELECT * FROM {table} WHERE {owner} = :f AND contract_id = :c"),
            {"f": file_id, "c": contract_id},
        )
        frame = _typed(kind, list(result.keys()), list(result.all()))
        provider = providers.get(int(file_id), str(frame.get_column("contract_id")[0]))
        write_parts(connection, store, kind, str(contract_id), provider, int(file_id), frame,
                    changes)  # fmt: skip
        moved += frame.height
    return moved


def _typed(kind: PartKind, names: list[str], rows: list[Any]) -> pl.DataFrame:
    raw = pl.DataFrame(
        [tuple(row) for row in rows], schema=names, orient="row", infer_schema_length=None
    )
    columns = []
    for name in kind.schema:
        source = next((old for old, new in _TIMES.items() if new == name), name)
        if source in _TIMES:
            column = pl.from_epoch(pl.col(source).cast(pl.Int64), "us").dt.replace_time_zone("UTC")
        else:
            column = pl.col(source)
        columns.append(column.cast(kind.schema[name]).alias(name))
    return raw.select(columns)
