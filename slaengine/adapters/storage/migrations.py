"""Schema migrations: a numbered list of steps, recorded in the `schema_migration` table.

How it works (our documented equivalent of Alembic, small enough to read in one go):
- `create_schema` first checks the `schema_migration` table: a database stamped with a step
  this code does not know was written by a newer slaengine and is refused (StorageError)
  rather than silently misread;
- it then creates any missing table from the SQLModel metadata. A fresh database (no
  `schema_migration` table yet) thereby gets the current schema at once, and every step is
  recorded as applied without running;
- on an existing database, every step of `STEPS` not yet recorded runs, in order, inside one
  transaction, and is recorded.
To change the schema: change the table models, then append a step that brings an existing
database from the previous shape to the new one (ALTER TABLE ... with SQLAlchemy `text()`,
written for both SQLite and PostgreSQL), and test it on a database made by the old code.
Steps are never edited or removed once released.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, inspect, select
from sqlalchemy.engine import Connection, Engine

from slaengine.errors import StorageError

Step = tuple[int, str, Callable[[Connection], None]]


def _baseline(connection: Connection) -> None:
    """Version 1: the tables created from the models; nothing to alter."""


STEPS: tuple[Step, ...] = ((1, "baseline schema", _baseline),)

_metadata = MetaData()
schema_migration = Table(
    "schema_migration",
    _metadata,
    Column("step", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)


def check_schema(engine: Engine) -> bool:
    """True for a fresh database; raises StorageError if its schema is newer than this code."""
    if not inspect(engine).has_table(schema_migration.name):
        return True
    known = {number for number, _, _ in STEPS}
    with engine.connect() as connection:
        done = set(connection.execute(select(schema_migration.c.step)).scalars())
    unknown = sorted(done - known)
    if unknown:
        raise StorageError(
            f"the database schema is at step {max(unknown)}, newer than this slaengine"
            f" knows (up to {max(known)}): upgrade slaengine before using this database"
        )
    return False


def migrate(engine: Engine, *, fresh: bool = False) -> list[int]:
    """Record the steps not yet applied, running them unless the database is `fresh`.

    Returns the numbers of the steps recorded. Raises StorageError if the schema is newer.
    """
    fresh = check_schema(engine) or fresh
    _metadata.create_all(engine)
    applied: list[int] = []
    with engine.begin() as connection:
        done = set(connection.execute(select(schema_migration.c.step)).scalars())
        for number, description, run in STEPS:
            if number in done:
                continue
            if not fresh:
                run(connection)
            connection.execute(
                schema_migration.insert().values(
                    step=number, description=description, applied_at=datetime.now(UTC)
                )
            )
            applied.append(number)
    return applied
