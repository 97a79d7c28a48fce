"""Engine creation and schema set-up, the same for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from slaengine.errors import StorageError

SQLITE_BUSY_TIMEOUT_SECONDS = 600.0
"""How long a SQLite write waits for another process's write to finish (`?timeout=` in the URL
overrides it): a 10M-row ingest holds the write lock for about three minutes."""
READS_ONLY = "slaengine_reads_only"
"""The execution option of `reading` engines (SQLite: a deferred, read-only transaction)."""


def make_engine(url: str) -> Engine:
    """Create an engine for `url`; raises StorageError (also for a SQLite file whose folder
    does not exist: a mistyped path never silently creates an empty database elsewhere).

    Statement parameters are never put in error messages (`hide_parameters`): a failed bulk
    insert would otherwise print kilobytes of provider data.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"database URL {url!r} is not a SQLAlchemy URL"
            " (expected sqlite:///path.db or postgresql+psycopg://user@host/db)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, "timeout" in parsed.query)
    try:
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except Exception as error:  # driver import problems, bad options
        raise StorageError(f"cannot use database {parsed.render_as_string()}: {error}") from None


def _sqlite_engine(url: str, database: str | None, timeout_in_url: bool) -> Engine:
    """SQLite in WAL mode, where each transaction that may write waits for the write lock
    when it begins.

    Python's sqlite3 begins transactions DEFERRED: a transaction that read, then writes while
    another process writes fails at once with "database is locked" (the busy timeout cannot
    help an upgrade from reading to writing). BEGIN IMMEDIATE takes the write lock first,
    waiting up to the busy timeout, so concurrent ingests and evaluations run one after the
    other and give the sequential result. A `reading` engine's transactions begin DEFERRED
    instead, with the connection made read-only (`PRAGMA query_only`) for their length: in WAL
    mode they never wait for a writer and see the last committed state, and any write in them
    is refused at once rather than trying the upgrade that can fail.
    """
    if database and database != ":memory:" and not Path(database).parent.is_dir():
        raise StorageError(
            f"database URL {url!r}: the folder {Path(database).parent} does not exist; create"
            " it first, or correct the path ([database] url or SLAENGINE_DATABASE_URL)"
        )
    connect_args: dict[str, Any] = {"check_same_thread": False}
    if not timeout_in_url:
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_SECONDS
    engine = create_engine(url, connect_args=connect_args, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the "begin" listener below starts transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        reads_only = bool(connection.get_execution_options().get(READS_ONLY))
        if connection.info.get(READS_ONLY, False) != reads_only:  # a new connection: False
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if reads_only else 'OFF'}")
            connection.info[READS_ONLY] = reads_only
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


def reading(engine: Engine) -> Engine:
    """`engine` for transactions that only read: same pool, events and data location.

    On SQLite its transactions never wait for a writer (a 10M-row ingest holds the write lock
    for tens of seconds) and see the last committed state; a write in one is refused
    ("attempt to write a readonly database"), so nothing that may write may use it. PostgreSQL
    transactions are unchanged (readers never wait there).
    """
    from slaengine.adapters.columnar.location import bind_data_location, data_location

    reader = engine.execution_options(**{READS_ONLY: True})
    bind_data_location(reader, data_location(engine))  # bound to the engine object itself
    return reader


def database_failure(error: BaseException) -> str | None:
    """A one-line message for a database error escaping a command (no SQL, no parameters).

    None when `error` is not a database error.
    """
    if not isinstance(error, DBAPIError):
        return None
    original = str(error.orig).strip().splitlines()[0][:200] if error.orig else type(error).__name__
    if "database is locked" in original:
        return (
            "the database stayed locked by another slaengine process for longer than the wait "
            "allowed (timeout in the SQLite URL); nothing was changed: run the command again"
        )
    kind = type(error.orig).__name__ if error.orig else type(error).__name__
    return f"the database refused the operation ({kind}: {original}); nothing was changed"


def create_schema(engine: Engine) -> list[str]:
    """Bring the database to this code's schema (idempotent); returns the revisions that ran.

    A fresh database gets the whole schema at once. The check reads without the write lock;
    only a database that needs changing waits for it (then checked again). Raises
    StorageError when the database is unreachable or its schema is newer than this code. See
    `slaengine.adapters.storage.migrations` for how the schema evolves.
    """
    from slaengine.adapters.storage.migrations import at_head, migrate

    try:
        if at_head(reading(engine)):  # the usual case: checked without waiting for a writer
            return []
        return migrate(engine)
    except OperationalError as error:
        raise StorageError(f"cannot reach the database: {error.orig}") from None
