"""Writing one validated feed file: its record, its rows, its quarantine, in one transaction.

A contact is keyed by (provider, contact_id); an interval by (contract, channel, queue, start);
a cost by (contract, month, channel, kind); a forecast by (contract, day, channel). A row whose
key is already stored replaces the stored one. When its values differ it is a restatement:
for contacts the older row moves to `contact_history` with the replacing file's id; intervals,
costs and forecasts are replaced in place and counted. Rows go in chunks with Core
executemany (PostgreSQL: COPY for new contacts), so memory stays bounded by the chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, ColumnElement, Table, delete, insert, literal, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from slaengine.adapters.storage.feed_repo import FeedFileRecord, feed_file, us_of
from slaengine.adapters.storage.feed_tables import (
    ContactHistoryRow,
    ContactRow,
    CostRow,
    FeedFileRow,
    ForecastRow,
    IntervalRow,
    QuarantinedRowRecord,
)
from slaengine.errors import StorageError

CHUNK_ROWS = 5_000

FEED_FILE: Table = FeedFileRow.__table__  # type: ignore[attr-defined]
CONTACT: Table = ContactRow.__table__  # type: ignore[attr-defined]
CONTACT_HISTORY: Table = ContactHistoryRow.__table__  # type: ignore[attr-defined]
INTERVAL: Table = IntervalRow.__table__  # type: ignore[attr-defined]
COST: Table = CostRow.__table__  # type: ignore[attr-defined]
FORECAST: Table = ForecastRow.__table__  # type: ignore[attr-defined]
QUARANTINE: Table = QuarantinedRowRecord.__table__  # type: ignore[attr-defined]

_CONTACT_VALUES = (
    "contract_id",
    "channel",
    "queue",
    "arrived_at_us",
    "answered_at_us",
    "abandoned_at_us",
    "handle_seconds",
    "resolved_first_contact",
    "csat",
    "nps",
)


@dataclass(frozen=True)
class NewFeedFile:
    """What is known of a file before its rows are stored."""

    contract_id: str
    provider_id: str
    kind: str
    sha256: str
    source: str | None
    file_name: str
    received_at: datetime
    rows: int
    reasons: dict[str, int]


def find_feed_file(
    engine: Engine, contract_id: str, kind: str, sha256: str
) -> FeedFileRecord | None:
    """The stored file with these bytes for this contract and kind, or None."""
    query = select(FEED_FILE.c.id).where(
        FEED_FILE.c.contract_id == contract_id,
        FEED_FILE.c.kind == kind,
        FEED_FILE.c.sha256 == sha256,
    )
    with engine.connect() as connection:
        found = connection.execute(query).scalar()
    return None if found is None else feed_file(engine, int(found))


def store_feed(
    engine: Engine, new: NewFeedFile, valid: pl.DataFrame, quarantined: pl.DataFrame
) -> tuple[int, int]:
    """Store the file record, its valid rows and its quarantined rows; (file id, restated).

    `valid` has the kind's typed columns and `_line`; `quarantined` has `_line`, `_raw` (JSON
    object text) and `_reasons` (list of codes). One transaction: all or nothing.
    """
    stored, bad = valid.height, quarantined.height
    try:
        with engine.begin() as connection:
            file_id = _insert_file(connection, new, stored, bad, _extent(new.kind, valid))
            restated = _STORERS[new.kind](connection, new, file_id, valid)
            _insert_quarantine(connection, new.contract_id, file_id, quarantined)
            if restated:
                connection.execute(
                    update(FEED_FILE).where(FEED_FILE.c.id == file_id).values(restated=restated)
                )
    except IntegrityError as error:
        raise StorageError(f"cannot store the feed file {new.file_name}: {error.orig}") from None
    except OperationalError as error:
        raise StorageError(f"cannot reach the database: {error.orig}") from None
    return file_id, restated


def _status(stored: int, quarantined: int) -> str:
    if quarantined == 0:
        return "stored"
    return "quarantined" if stored == 0 else "partial"


def _extent(kind: str, valid: pl.DataFrame) -> dict[str, Any]:
    """First/last instant (contacts, intervals) or day (costs, forecasts) of the valid rows."""
    none: dict[str, Any] = {"first_us": None, "last_us": None, "first_day": None, "last_day": None}
    if valid.height == 0:
        return none
    if kind in ("contacts", "intervals"):
        column = valid.get_column("arrived_at" if kind == "contacts" else "interval_start")
        return none | {"first_us": us_of(column.min()), "last_us": us_of(column.max())}  # type: ignore[arg-type]
    if kind == "forecasts":
        days = valid.get_column("date")
        return none | {"first_day": str(days.min()), "last_day": str(days.max())}
    months = sorted(str(month) for month in valid.get_column("month").unique().to_list())
    last = months[-1]
    year, month = int(last[:4]), int(last[5:7])
    following = date(year + month // 12, month % 12 + 1, 1)
    last_day = date.fromordinal(following.toordinal() - 1)
    return none | {"first_day": f"{months[0]}-01", "last_day": last_day.isoformat()}


def _insert_file(
    connection: Connection, new: NewFeedFile, stored: int, bad: int, extent: dict[str, Any]
) -> int:
    values = {
        "contract_id": new.contract_id,
        "provider_id": new.provider_id,
        "kind": new.kind,
        "sha256": new.sha256,
        "source": new.source,
        "file_name": new.file_name,
        "received_at_us": us_of(new.received_at),
        "rows": new.rows,
        "stored": stored,
        "quarantined": bad,
        "restated": 0,
        "reasons_json": json.dumps(dict(sorted(new.reasons.items()))),
        "status": _status(stored, bad),
        **extent,
    }
    result = connection.execute(insert(FEED_FILE).values(values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _chunks(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    yield from frame.iter_slices(n_rows=CHUNK_ROWS)


def _epoch_us(*names: str) -> list[pl.Expr]:
    return [pl.col(name).dt.epoch("us").alias(f"{name}_us") for name in names]


# --- contacts ------------------------------------------------------------------------------


def _store_contacts(
    connection: Connection, new: NewFeedFile, file_id: int, valid: pl.DataFrame
) -> int:
    rows = valid.select(
        pl.lit(new.contract_id).alias("contract_id"),
        pl.lit(new.provider_id).alias("provider_id"),
        "contact_id",
        "channel",
        "queue",
        *_epoch_us("arrived_at", "answered_at", "abandoned_at"),
        "handle_seconds",
        "resolved_first_contact",
        "csat",
        "nps",
        pl.lit(file_id).alias("file_id"),
        pl.col("_line").alias("line"),
    )
    restated = 0
    for chunk in _chunks(rows):
        restated += _replace_contacts(connection, new, file_id, chunk)
    return restated


def _replace_contacts(
    connection: Connection, new: NewFeedFile, file_id: int, chunk: pl.DataFrame
) -> int:
    """Move changed stored rows of the chunk's contact_ids to history, then insert the chunk."""
    ids = chunk.get_column("contact_id").to_list()
    if not ids:
        return 0
    existing = _stored_contacts(connection, new.provider_id, ids)
    changed: list[str] = []
    if existing:
        values = chunk.select("contact_id", *_CONTACT_VALUES).rows()
        by_id = {row[0]: row[1:] for row in values}
        changed = [cid for cid, old in existing.items() if old != by_id[cid]]
        if changed:
            _to_history(connection, new.provider_id, changed, file_id, new.received_at)
        mine = CONTACT.c.provider_id == new.provider_id
        for part in _parts(list(existing)):
            connection.execute(delete(CONTACT).where(mine, CONTACT.c.contact_id.in_(part)))
    _bulk_insert(connection, CONTACT, chunk)
    return len(changed)


def _stored_contacts(
    connection: Connection, provider_id: str, ids: list[str]
) -> dict[str, tuple[Any, ...]]:
    """contact_id -> stored values, through the driver (no per-row SQLAlchemy overhead)."""
    if not _is_postgres(connection) and connection.dialect.paramstyle != "qmark":
        return _stored_contacts_portably(connection, provider_id, ids)
    names = ", ".join(["contact_id", *_CONTACT_VALUES])
    cursor = connection.connection.cursor()
    try:
        if _is_postgres(connection):
            query = f"SELECT {names} FROM contact WHERE provider_id = %s AND contact_id = ANY(%s)"
            cursor.execute(query, (provider_id, ids))
            return {row[0]: _normalised(row[1:]) for row in cursor.fetchall()}
        found: dict[str, tuple[Any, ...]] = {}
        for part in _parts(ids):
            marks = ", ".join(["?"] * len(part))
            query = f"SELECT {names} FROM contact WHERE provider_id = ? AND contact_id IN ({marks})"
            cursor.execute(query, [provider_id, *part])
            found.update((row[0], _normalised(row[1:])) for row in cursor.fetchall())
        return found
    finally:
        cursor.close()


def _stored_contacts_portably(
    connection: Connection, provider_id: str, ids: list[str]
) -> dict[str, tuple[Any, ...]]:
    columns = [CONTACT.c.contact_id, *[CONTACT.c[name] for name in _CONTACT_VALUES]]
    found: dict[str, tuple[Any, ...]] = {}
    for part in _parts(ids):
        query = select(*columns).where(
            CONTACT.c.provider_id == provider_id, CONTACT.c.contact_id.in_(part)
        )
        found.update((row[0], tuple(row[1:])) for row in connection.execute(query))
    return found


def _normalised(values: Sequence[Any]) -> tuple[Any, ...]:
    """SQLite hands booleans back as 0/1: make them bool again so rows compare equal."""
    position = _CONTACT_VALUES.index("resolved_first_contact")
    flag = values[position]
    return (*values[:position], None if flag is None else bool(flag), *values[position + 1 :])


def _is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


def _to_history(
    connection: Connection, provider_id: str, contact_ids: list[str], file_id: int, when: datetime
) -> None:
    names = [c.name for c in CONTACT.columns if c.name != "id"]
    extra = [
        literal(file_id, BigInteger).label("replaced_by_file_id"),
        literal(us_of(when), BigInteger).label("replaced_at_us"),
    ]
    for part in _parts(contact_ids):
        source = select(*[CONTACT.c[name] for name in names], *extra).where(
            CONTACT.c.provider_id == provider_id, CONTACT.c.contact_id.in_(part)
        )
        target = [*names, "replaced_by_file_id", "replaced_at_us"]
        connection.execute(insert(CONTACT_HISTORY).from_select(target, source))


def _parts(values: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    """Slices small enough for any SQLite's limit of 999 bound parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _bulk_insert(connection: Connection, table: Table, chunk: pl.DataFrame) -> None:
    """Insert a chunk: PostgreSQL COPY (psycopg 3), else the driver's executemany."""
    if chunk.height == 0:
        return
    if _is_postgres(connection):
        _copy(connection, table, chunk)
        return
    if connection.dialect.paramstyle != "qmark":  # any other driver: the portable way
        connection.execute(insert(table), chunk.to_dicts())
        return
    marks = ", ".join(["?"] * chunk.width)
    statement = f"INSERT INTO {table.name} ({', '.join(chunk.columns)}) VALUES ({marks})"
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(statement, chunk.rows())
    finally:
        cursor.close()


def _copy(connection: Connection, table: Table, chunk: pl.DataFrame) -> None:
    """COPY the chunk as CSV written by polars (empty strings quoted, nulls left empty)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table.name} ({', '.join(chunk.columns)}) FROM STDIN WITH (FORMAT csv)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(chunk.write_csv(include_header=False))


# --- intervals, costs, forecasts -----------------------------------------------------------


def _store_keyed(
    connection: Connection,
    table: Table,
    key: tuple[str, ...],
    rows: pl.DataFrame,
    scope: Callable[[pl.DataFrame], ColumnElement[bool]],
) -> int:
    """Replace the stored rows sharing a key with the file's rows; count those that changed."""
    contract_id = rows.get_column("contract_id")[0]
    values = [name for name in rows.columns if name not in ("contract_id", "file_id", "line")]
    query = select(table.c.id, *[table.c[name] for name in values]).where(
        table.c.contract_id == contract_id, scope(rows)
    )
    index = [values.index(name) for name in key]
    existing = {
        tuple(row[1 + i] for i in index): (row[0], tuple(row[1:]))
        for row in connection.execute(query)
    }
    restated, stale = 0, []
    for record in rows.select(values).iter_rows():
        found = existing.get(tuple(record[i] for i in index))
        if found is not None:
            stale.append(found[0])
            restated += found[1] != tuple(record)
    for part in _parts(stale):
        connection.execute(delete(table).where(table.c.id.in_(part)))
    for chunk in _chunks(rows):
        _bulk_insert(connection, table, chunk)
    return restated


def _with_file(new: NewFeedFile, file_id: int, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(new.contract_id).alias("contract_id"),
        pl.lit(file_id).alias("file_id"),
        pl.col("_line").alias("line"),
    ).drop("_line")


def _store_intervals(
    connection: Connection, new: NewFeedFile, file_id: int, valid: pl.DataFrame
) -> int:
    if valid.height == 0:
        return 0
    rows = _with_file(
        new, file_id, valid.with_columns(_epoch_us("interval_start")).drop("interval_start")
    )
    column = INTERVAL.c.interval_start_us

    def scope(frame: pl.DataFrame) -> ColumnElement[bool]:
        starts = frame.get_column("interval_start_us")
        return column.between(int(starts.min()), int(starts.max()))  # type: ignore[arg-type]

    return _store_keyed(
        connection, INTERVAL, ("channel", "queue", "interval_start_us"), rows, scope
    )


def _store_costs(
    connection: Connection, new: NewFeedFile, file_id: int, valid: pl.DataFrame
) -> int:
    """Costs (SPEC section 2): rows of one (month, channel, kind) add up into one stored row
    (exact decimal sum, first line kept); the file replaces EVERY stored cost row of each
    month it covers. Returns the stored rows replaced in months whose costs changed."""
    if valid.height == 0:
        return 0
    rows = _with_file(new, file_id, _summed_costs(valid))
    months = sorted(set(rows.get_column("month").to_list()))
    scope = (COST.c.contract_id == new.contract_id) & COST.c.month.in_(months)
    columns = (COST.c.month, COST.c.channel, COST.c.kind, COST.c.amount, COST.c.currency)
    before = [tuple(row) for row in connection.execute(select(*columns).where(scope))]
    after = list(rows.select("month", "channel", "kind", "amount", "currency").iter_rows())
    connection.execute(delete(COST).where(scope))
    for chunk in _chunks(rows):
        _bulk_insert(connection, COST, chunk)
    changed = [month for month in months if _cost_month_changed(before, after, month)]
    return sum(len(_month_costs(before, month)) for month in changed)


def _summed_costs(valid: pl.DataFrame) -> pl.DataFrame:
    totals: dict[tuple[str, str, str], tuple[str, Decimal, int]] = {}
    names = ("month", "channel", "kind", "currency", "amount", "_line")
    for month, channel, kind, currency, amount, line in valid.select(names).iter_rows():
        key = (month, channel, kind)
        _currency, total, first = totals.get(key, (currency, Decimal(0), line))
        totals[key] = (currency, total + Decimal(amount), min(first, line))
    rows = [(*key, currency, str(total), line) for key, (currency, total, line) in totals.items()]
    schema = {name: valid.schema[name] for name in names}
    return pl.DataFrame(rows, schema=schema, orient="row").select(valid.columns)


def _month_costs(rows: Sequence[tuple[Any, ...]], month: str) -> list[tuple[Any, ...]]:
    return sorted((r[1], r[2], Decimal(r[3]), r[4]) for r in rows if r[0] == month)


def _cost_month_changed(
    before: Sequence[tuple[Any, ...]], after: Sequence[tuple[Any, ...]], month: str
) -> bool:
    old = _month_costs(before, month)
    return bool(old) and old != _month_costs(after, month)


def _store_forecasts(
    connection: Connection, new: NewFeedFile, file_id: int, valid: pl.DataFrame
) -> int:
    if valid.height == 0:
        return 0
    rows = _with_file(
        new, file_id, valid.with_columns(pl.col("date").cast(pl.String).alias("day")).drop("date")
    )

    def scope(frame: pl.DataFrame) -> ColumnElement[bool]:
        days = frame.get_column("day")
        return FORECAST.c.day.between(str(days.min()), str(days.max()))

    return _store_keyed(connection, FORECAST, ("day", "channel"), rows, scope)


_STORERS: dict[str, Callable[[Connection, NewFeedFile, int, pl.DataFrame], int]] = {
    "contacts": _store_contacts,
    "intervals": _store_intervals,
    "costs": _store_costs,
    "forecasts": _store_forecasts,
}


def _insert_quarantine(
    connection: Connection, contract_id: str, file_id: int, bad: pl.DataFrame
) -> None:
    rows = bad.select(
        pl.lit(contract_id).alias("contract_id"),
        pl.lit(file_id).alias("file_id"),
        pl.col("_line").alias("line"),
        pl.col("_raw").alias("raw_json"),
        pl.col("_reasons").alias("reasons_json"),
    )
    for chunk in _chunks(rows):
        _bulk_insert(connection, QUARANTINE, chunk)
