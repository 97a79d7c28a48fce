"""Schema migrations: a numbered list of steps, recorded in the `schema_migration` table.

How it works (our documented equivalent of Alembic, small enough to read in one go):
- `create_schema` first creates any missing table from the SQLModel metadata (a fresh
  database gets the current schema at once and is stamped with the latest step);
- then every step of `STEPS` whose number is not yet recorded runs, in order, inside a
  transaction, and is recorded;
- a database stamped with a step this code does not know was written by a newer slaengine:
  it is refused (StorageError) rather than silently misread.
To change the schema: change the table models, then append a step that brings an existing
database from the previous shape to the new one (ALTER TABLE ... with SQLAlchemy `text()`,
written for both SQLite and PostgreSQL), and test it on a database made by the old code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select
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


def migrate(engine: Engine) -> list[int]:
    """Run the steps not yet applied; returns their numbers. Raises StorageError if too new."""
    _metadata.create_all(engine)
    known = {number for number, _, _ in STEPS}
    applied: list[int] = []
    with engine.begin() as connection:
        done = set(connection.execute(select(schema_migration.c.step)).scalars())
        unknown = sorted(done - known)
        if unknown:
            raise StorageError(
                f"the database schema is at step {max(unknown)}, newer than this slaengine"
                f" knows (up to {max(known)}): upgrade slaengine before using this database"
            )
        for number, description, run in STEPS:
            if number in done:
                continue
            run(connection)
            connection.execute(
                schema_migration.insert().values(
                    step=number, description=description, applied_at=datetime.now(UTC)
                )
            )
            applied.append(number)
    return applied
