"""Engine creation and schema set-up, the same for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import create_engine

from slaengine.errors import StorageError


def make_engine(url: str) -> Engine:
    """Create an engine for `url` (SQLite file folders are created); raises StorageError."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"database URL {url!r} is not a SQLAlchemy URL"
            " (expected sqlite:///path.db or postgresql+psycopg://user@host/db)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    try:
        return create_engine(url, pool_pre_ping=True)
    except Exception as error:  # driver import problems, bad options
        raise StorageError(f"cannot use database {parsed.render_as_string()}: {error}") from None


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def create_schema(engine: Engine) -> list[str]:
    """Bring the database to this code's schema (idempotent); returns the revisions that ran.

    A fresh database gets the whole schema at once. Raises StorageError when the database is
    unreachable or its schema is newer than this code. See
    `slaengine.adapters.storage.migrations` for how the schema evolves.
    """
    from slaengine.adapters.storage import tables  # noqa: F401  (registers the tables)
    from slaengine.adapters.storage.migrations import migrate

    try:
        return migrate(engine)
    except OperationalError as error:
        raise StorageError(f"cannot reach the database: {error.orig}") from None
