"""Who may change the store's files at once, and whose store it is.

Writers (an ingest, the upgrade of an old database) hold the store lock SHARED from before
they write their first part until their transaction ends; `storage sweep` holds it EXCLUSIVE
from before it reads the registry until it has removed its last file. So a sweep never sees
the parts of an ingest that has not committed yet, however old they are, and no ingest
writes while a sweep deletes. The lock lives in the catalogue:

- PostgreSQL: a transaction-level advisory lock on a two-key id (shared for writers,
  exclusive for the sweep); the one-key space is the per-provider ingestion lock's.
- SQLite: the database's write lock, which every transaction takes when it begins (BEGIN
  IMMEDIATE, `adapters.storage.engine`): writers already exclude one another, and the
  sweep's transaction is one of them.

A store is marked with the catalogue it belongs to: `slaengine-catalogue.json` at its root
names the id kept in the catalogue's `columnar_store` table, both written on first use. An
ingest or a sweep refuses a store that another catalogue marked.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from slaengine.adapters.columnar.location import DataStore, open_store
from slaengine.adapters.columnar.store import KINDS, PART
from slaengine.adapters.columnar.tables import ColumnarStoreRow
from slaengine.errors import StorageError

STORE: Table = ColumnarStoreRow.__table__  # type: ignore[attr-defined]
MARKER = "slaengine-catalogue.json"
_LOCK_KEYS = {"a": 1_396_785_477, "b": 1}  # "SLAE", 1: the store's files
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout passed


def hold_shared(connection: Connection) -> None:
    """Take the store lock shared until the connection's transaction ends (a writer)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock_shared(:a, :b)"), _LOCK_KEYS)


@contextmanager
def held_exclusive(engine: Engine, wait_seconds: float) -> Iterator[Connection]:
    """A transaction holding the store lock exclusively (no writer runs meanwhile).

    Raises StorageError when writers still hold it after `wait_seconds`.
    """
    with engine.connect() as connection:
        try:
            if connection.dialect.name == "sqlite":
                transaction = _begin_sqlite(connection, wait_seconds)
            else:
                transaction = connection.begin()
                _lock_postgres(connection, wait_seconds)
        except OperationalError as error:
            if _lock_refused(error):
                raise StorageError(
                    f"ingestions were still writing to the store after {wait_seconds:g} s;"
                    " nothing was removed: run the sweep again later (or allow a longer --wait)"
                ) from None
            raise
        with transaction:
            yield connection


def _begin_sqlite(connection: Connection, wait_seconds: float) -> Any:
    """BEGIN IMMEDIATE, waiting `wait_seconds` for the write lock instead of the usual timeout."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    usual = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {int(wait_seconds * 1000)}")
    try:
        return connection.begin()
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(usual)}")


def _lock_postgres(connection: Connection, wait_seconds: float) -> None:
    milliseconds = max(1, int(wait_seconds * 1000))  # 0 would mean "wait for ever"
    connection.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
    connection.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), _LOCK_KEYS)
    connection.execute(text("SET LOCAL lock_timeout = 0"))


def _lock_refused(error: OperationalError) -> bool:
    if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
        return True
    return "database is locked" in str(error.orig)


def registered(connection: Connection, paths: Sequence[str]) -> set[str]:
    """Which of `paths` the registry names (as this connection sees it now)."""
    found: set[str] = set()
    for start in range(0, len(paths), 900):  # SQLite's bound-parameter limit
        chunk = list(paths[start : start + 900])
        query = select(PART.c.path).where(PART.c.path.in_(chunk))
        found |= {str(path) for path in connection.execute(query).scalars()}
    return found


def verify_parts(connection: Connection, store: DataStore, written: Sequence[str]) -> None:
    """Refuse to commit when a part this transaction registers is missing from the store.

    Raises StorageError (the caller's transaction then rolls back: nothing is stored).
    """
    mine = sorted(registered(connection, written))
    missing = [path for path in mine if not store.fs.exists(store.full(path))]
    if missing:
        raise StorageError(
            f"{len(missing)} Parquet file(s) this ingestion wrote disappeared from the data"
            f" location {store.location} before it committed (first: {missing[0]}); nothing was"
            " stored: is another catalogue or a program other than slaengine removing files"
            " there? Ingest the file again"
        )


def catalogue_id(connection: Connection) -> str:
    """This catalogue's id, made on first use (in the connection's transaction)."""
    query = select(STORE.c.catalogue_id).where(STORE.c.name == "columnar")
    found = connection.execute(query).scalar()
    if found is None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        values = {"name": "columnar", "catalogue_id": uuid4().hex,
                  "created_at_us": int(time.time() * 1_000_000)}  # fmt: skip
        connection.execute(dialect.insert(STORE).values(values).on_conflict_do_nothing())
        found = connection.execute(query).scalar()
    return str(found)


def claim_store(connection: Connection, store: DataStore) -> None:
    """Make sure the store is this catalogue's: marked for it, or unmarked and claimable
    (then marked). Raises StorageError for another catalogue's store."""
    mine, here = catalogue_id(connection), _catalogue_name(connection.engine)
    owner = _marker(store)
    if owner is not None:
        if owner.get("catalogue") == mine:
            return
        raise StorageError(
            f"the data location {store.location} belongs to another catalogue"
            f" ({owner.get('database', 'unknown')}), not to {here}: two catalogues must not share"
            " a store (a sweep by one would delete the other's files). Give this catalogue its"
            " own folder with [storage] data in config.toml or SLAENGINE_DATA_URL (by default"
            " a SQLite catalogue uses the folder named after its file: demo.db -> demo.data)"
        )
    if not _claimable(connection, store):
        raise StorageError(
            f"the data location {store.location} holds Parquet files, none of which {here}"
            f" registers, and no {MARKER} naming the catalogue it belongs to: it is probably"
            " another catalogue's store. Point [storage] data at this catalogue's own folder;"
            " if those files are this catalogue's leftovers, move them away first"
        )
    _write_marker(store, {"catalogue": mine, "database": here})


def _catalogue_name(engine: Engine) -> str:
    """The database, for people: a SQLite file's absolute path, a server's URL (no password)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return f"sqlite:///{Path(database).resolve()}"
    return engine.url.render_as_string(hide_password=True)


def _marker(store: DataStore) -> dict[str, Any] | None:
    try:
        raw = store.fs.cat_file(store.full(MARKER))
    except FileNotFoundError:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise StorageError(
            f"{store.full(MARKER)} is not the catalogue mark slaengine writes (JSON with"
            " 'catalogue'): restore it or remove it"
        )
    return found


def _claimable(connection: Connection, store: DataStore) -> bool:
    """An unmarked store is this catalogue's when it holds some part the catalogue registers,
    or no part at all."""
    paths = list(connection.execute(select(PART.c.path).limit(20)).scalars())
    if any(store.fs.exists(store.full(str(path))) for path in paths):
        return True
    return not any(
        store.fs.exists(store.full(kind)) and store.fs.find(store.full(kind)) for kind in KINDS
    )


def _write_marker(store: DataStore, content: dict[str, str]) -> None:
    data = (json.dumps(content, indent=2) + "\n").encode()
    target = store.full(MARKER)
    if not store.local:
        store.fs.pipe_file(target, data)
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def remove_store_of_remade_catalogue(engine: Engine) -> bool:
    """Remove the store marked for this very database when the database was just made anew
    (the demo recreates ./demo.db): its files belong to a catalogue that no longer exists.
    Another catalogue's store, or an unmarked one, is left alone. Whether it was removed."""
    store = open_store(engine)
    owner = _marker(store)
    if owner is None or owner.get("database") != _catalogue_name(engine):
        return False
    store.fs.rm(store.root, recursive=True)
    return True
