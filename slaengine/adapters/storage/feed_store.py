"""Writing one validated feed file: its record, its rows, its quarantine, in one transaction.

Contacts and intervals go to the columnar store (Parquet parts registered in `columnar_part`,
see `slaengine.adapters.columnar`): the parts are written first, whole or not at all, and
registered by the same transaction that records the file, so a file that dies half-way leaves
only unregistered (invisible) parts, which `slaengine storage sweep` removes. Stored rows that
share a key with the file are superseded at ingest (copy-on-write of their parts); contacts
whose values changed are kept as history. Costs and forecasts stay in SQL, keyed by (contract,
month, channel, kind) and (contract, day, channel), replaced in place and counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Table, delete, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from slaengine.adapters.columnar.guard import claim_store, hold_shared, verify_parts
from slaengine.adapters.columnar.location import DataStore, Part, open_store
from slaengine.adapters.columnar.store import (
    CONTACT_KIND,
    INTERVAL_KIND,
    Changes,
    Owner,
    PartWriter,
    register,
    supersede,
)
from slaengine.adapters.storage.feed_repo import FeedFileRecord, feed_file, us_of
from slaengine.adapters.storage.feed_tables import (
    CostRow,
    FeedFileRow,
    ForecastRow,
)
from slaengine.adapters.storage.quarantine_store import write_quarantine
from slaengine.errors import StorageError

CHUNK_ROWS = 5_000

FEED_FILE: Table = FeedFileRow.__table__  # type: ignore[attr-defined]
COST: Table = CostRow.__table__  # type: ignore[attr-defined]
FORECAST: Table = ForecastRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewFeedFile:
    """What is known of a file before its rows are read."""

    contract_id: str
    provider_id: str
    kind: str
    sha256: str
    source: str | None
    file_name: str
    received_at: datetime


@dataclass(frozen=True)
class Filled:
    """What reading a file gave, once its valid rows were written: the rows read, the reason
    counts (mapping drops included), the quarantined rows (`_line`, `_raw`, `_reasons`)."""

    rows: int
    reasons: dict[str, int]
    quarantined: pl.DataFrame


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


class AlreadyStored(Exception):
    """The same bytes were stored for the contract and kind meanwhile (a concurrent ingest)."""

    def __init__(self, record: FeedFileRecord) -> None:
        super().__init__(record.file_name)
        self.record = record


@dataclass(frozen=True)
class Stored:
    """A stored file: its id, its valid rows stored, its quarantined rows, the rows restated."""

    file_id: int
    stored: int
    quarantined: int
    restated: int
    filled: Filled


class FeedWrite:
    """One feed file being written, inside the transaction `feed_write` opened.

    The ingest pipeline hands it the file's valid rows batch by batch (`add`, typed columns and
    `_line`): Parquet parts for contacts and intervals, memory for costs and forecasts (small by
    nature, and replaced by keys compared in SQL). `reset` forgets them (the file is read
    again); `finish` stores what the reading gave: the supersession of older rows, the parts'
    registration, the quarantine and the counts.
    """

    def __init__(
        self, connection: Connection, store: DataStore, new: NewFeedFile, changes: Changes
    ) -> None:
        self.connection, self.store, self.new, self.changes = connection, store, new, changes
        hold_shared(connection)  # until commit: no sweep meanwhile (adapters.columnar.guard)
        self.file_id = _insert_file(connection, new)
        self.owner = Owner(new.contract_id, new.provider_id, self.file_id, new.received_at)
        self.kind = _PART_KINDS.get(new.kind)
        self.writer: PartWriter | None = None
        if self.kind is not None:
            _lock_provider(connection, new.provider_id)
            self.writer = PartWriter(store, self.kind, self.owner, changes)
        self.frames: list[pl.DataFrame] = []
        self.rows = 0

    def add(self, valid: pl.DataFrame) -> None:
        """Write a batch of valid rows."""
        self.rows += valid.height
        if self.writer is not None:
            self.writer.add(valid)
        elif valid.height:
            self.frames.append(valid)

    def reset(self) -> None:
        """Forget every row added (the file is read again)."""
        if self.writer is not None:
            self.writer.reset()
        self.frames, self.rows = [], 0

    def finish(self, filled: Filled) -> Stored:
        """Store the rows added, supersede older rows, quarantine the bad ones, count."""
        connection, new, file_id = self.connection, self.new, self.file_id
        if self.writer is not None and self.kind is not None:
            parts = self.writer.finish()
            restated = supersede(connection, self.store, self.kind, self.owner, parts, self.changes)
            for part in parts:
                register(connection, self.kind, new.contract_id, new.provider_id, file_id, part)
            extent = _extent_of(parts)
        else:
            valid = pl.concat(self.frames, how="vertical") if self.frames else pl.DataFrame()
            restated = _STORERS[new.kind](connection, new, file_id, valid)
            extent = _extent(new.kind, valid)
        _insert_quarantine(connection, new.contract_id, file_id, filled.quarantined)
        bad = filled.quarantined.height
        connection.execute(
            update(FEED_FILE)
            .where(FEED_FILE.c.id == file_id)
            .values(
                rows=filled.rows, stored=self.rows, quarantined=bad, restated=restated,
                reasons_json=json.dumps(dict(sorted(filled.reasons.items()))),
                status=_status(self.rows, bad), **extent,
            )
        )  # fmt: skip
        return Stored(file_id, self.rows, bad, restated, filled)

    def abandon(self) -> None:
        """Remove whatever Parquet this file wrote (the transaction is rolled back)."""
        if self.writer is not None:
            self.writer.abort()


@contextmanager
def feed_write(engine: Engine, new: NewFeedFile) -> Iterator[FeedWrite]:
    """Open one transaction for a new feed file and give the place its rows are written to.

    All or nothing: the file's row is inserted first (so its id names the Parquet parts
    written while the rows stream in); the caller adds rows and calls `FeedWrite.finish`; the
    transaction commits when the block ends, once every part it registers is found in the
    store. An exception in the block (a refused or rejected file) leaves nothing. The store
    must be this catalogue's (`guard.claim_store`), and the transaction holds the store lock
    shared, so that `storage sweep` never removes the parts of a file not yet committed.
    Raises AlreadyStored when another ingestion stored the same bytes first, StorageError.
    """
    store = open_store(engine)
    changes = Changes()
    write: FeedWrite | None = None
    try:
        with engine.begin() as claiming:  # short: the file's own transaction comes next
            claim_store(claiming, store)
        with engine.begin() as connection:
            write = FeedWrite(connection, store, new, changes)
            yield write
            verify_parts(connection, store, changes.written)  # a part gone: roll back
    except IntegrityError as error:
        _abandon(store, write, changes)
        known = find_feed_file(engine, new.contract_id, new.kind, new.sha256)
        if known is not None:
            raise AlreadyStored(known) from None
        raise StorageError(f"cannot store the feed file {new.file_name}: {error.orig}") from None
    except OperationalError as error:
        _abandon(store, write, changes)
        raise StorageError(f"cannot reach the database: {error.orig}") from None
    except OSError as error:  # the data location: permissions, space, network
        _abandon(store, write, changes)
        raise StorageError(
            f"cannot write the feed file's rows to the data location {store.location}: {error}"
        ) from None
    except BaseException:
        _abandon(store, write, changes)
        raise
    store.remove(changes.retired)


def _abandon(store: DataStore, write: FeedWrite | None, changes: Changes) -> None:
    if write is not None:
        write.abandon()
    store.remove(changes.written)


_PART_KINDS = {"contacts": CONTACT_KIND, "intervals": INTERVAL_KIND}


def _lock_provider(connection: Connection, provider_id: str) -> None:
    """Serialise the ingestions of one provider until commit. SQLite: the transaction already
    holds the database's write lock (the feed file row was inserted)."""
    if connection.dialect.name == "postgresql":
        key = f"slaengine.columnar:{provider_id}"
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def _status(stored: int, quarantined: int) -> str:
    if quarantined == 0:
        return "stored"
    return "quarantined" if stored == 0 else "partial"


_NO_EXTENT: dict[str, Any] = {
    "first_us": None,
    "last_us": None,
    "first_day": None,
    "last_day": None,
}


def _extent_of(parts: list[Part]) -> dict[str, Any]:
    """First/last instant of the valid rows of contacts or intervals: those of their parts."""
    if not parts:
        return dict(_NO_EXTENT)
    first, last = min(p.first_us for p in parts), max(p.last_us for p in parts)
    return _NO_EXTENT | {"first_us": first, "last_us": last}


def _extent(kind: str, valid: pl.DataFrame) -> dict[str, Any]:
    """First/last day (costs, forecasts) of the valid rows."""
    none = dict(_NO_EXTENT)
    if valid.height == 0:
        return none
    if kind == "forecasts":
        days = valid.get_column("date")
        return none | {"first_day": str(days.min()), "last_day": str(days.max())}
    months = sorted(str(month) for month in valid.get_column("month").unique().to_list())
    last = months[-1]
    year, month = int(last[:4]), int(last[5:7])
    following = date(year + month // 12, month % 12 + 1, 1)
    last_day = date.fromordinal(following.toordinal() - 1)
    return none | {"first_day": f"{months[0]}-01", "last_day": last_day.isoformat()}


def _insert_file(connection: Connection, new: NewFeedFile) -> int:
    """The file's row, its counts to be set once its rows are read (same transaction)."""
    values = {
        "contract_id": new.contract_id,
        "provider_id": new.provider_id,
        "kind": new.kind,
        "sha256": new.sha256,
        "source": new.source,
        "file_name": new.file_name,
        "received_at_us": us_of(new.received_at),
        "rows": 0,
        "stored": 0,
        "quarantined": 0,
        "restated": 0,
        "reasons_json": "{}",
        "status": "stored",
        **_NO_EXTENT,
    }
    result = connection.execute(insert(FEED_FILE).values(values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _chunks(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    yield from frame.iter_slices(n_rows=CHUNK_ROWS)


def _epoch_us(*names: str) -> list[pl.Expr]:
    return [pl.col(name).dt.epoch("us").alias(f"{name}_us") for name in names]


def _is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


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
    "costs": _store_costs,
    "forecasts": _store_forecasts,
}


def _insert_quarantine(
    connection: Connection, contract_id: str, file_id: int, bad: pl.DataFrame
) -> None:
    """The file's quarantined rows, by blocks (`quarantine_store`: not one SQL row each)."""
    rows = bad.select(
        pl.col("_line").alias("line"),
        pl.col("_raw").alias("raw_json"),
        pl.col("_reasons").alias("reasons_json"),
    )
    write_quarantine(connection, contract_id, file_id, rows)
