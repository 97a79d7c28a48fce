"""Schema migrations with Alembic: revisions shipped in the package, applied on first use.

How it works:
- the revisions live in `slaengine/adapters/storage/revisions/versions/`, one file each,
  chained by `down_revision`; `slaengine db upgrade` applies them, and so does every command
  on first use of a database (`create_schema`);
- a database whose `alembic_version` names a revision this code does not know was written by
  a newer slaengine: it is refused (StorageError) rather than silently misread;
- a fresh database gets the current schema from the SQLModel metadata at once and is stamped
  with the head revision, without running any revision;
- on an existing database, tables that are new in this code are created from the metadata
  first (a new table never needs a revision), then every revision not yet applied runs, in
  order, inside the same transaction (PostgreSQL rolls the lot back on failure);
- a database made before Alembic (the former numbered `schema_migration` scheme, step 1) is
  stamped with `0001_baseline` and carries on from there; the old table is dropped.
To change the schema: change the table models, then add a revision (copy the newest file in
`versions/`, set `down_revision` to its id) that brings an existing database from the previous
shape to the new one with `alembic.op` (batch mode is on, for SQLite), checking what exists
before acting, and test it on a database made by the old code. Revisions go forward only.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Integer, MetaData, Table, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from slaengine.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

REVISIONS = Path(__file__).resolve().parent / "revisions"
SCHEMA_TABLES = frozenset(
    {
        "columnar_part",
        "columnar_store",
        "contract_version",
        "cost",
        "delivery",
        "evaluation_input_cache",
        "evaluation_objective",
        "evaluation_run",
        "feed_file",
        "forecast",
        "quarantine_block",
        "relief_request",
        "relief_step",
        "run_attempt",
        "run_ledger",
        "run_step",
        "scheduler_lease",
    }
)
"""The tables of the models (`schema_metadata()`), named here so that a command on a database
already at the head revision with every table checks that without importing the models
(SQLModel, SQLAlchemy's ORM and pydantic: about 0.3 s). A test keeps the two equal."""
BASELINE = "0001_baseline"
_LEGACY_STEPS = {1: BASELINE}  # former numbered steps and the revision each corresponds to

_legacy = MetaData()
legacy_schema_migration = Table(
    "schema_migration", _legacy, Column("step", Integer, primary_key=True)
)


def schema_metadata() -> MetaData:
    """The metadata of every table model (importing them registers them)."""
    from sqlmodel import SQLModel

    from slaengine.adapters.storage import tables  # noqa: F401  (registers the tables)

    return SQLModel.metadata


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(REVISIONS))
    config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    head = _script().get_current_head()
    assert head is not None, "the package ships at least the baseline revision"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision a database is stamped with (None: not stamped by Alembic)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _known(revision: str) -> bool:
    return any(script.revision == revision for script in _script().walk_revisions())


def _legacy_revision(connection: Connection) -> str | None:
    """The revision matching a pre-Alembic database's numbered steps; refuses unknown steps."""
    if not inspect(connection).has_table(legacy_schema_migration.name):
        return None
    steps = set(connection.execute(select(legacy_schema_migration.c.step)).scalars())
    unknown = sorted(steps - set(_LEGACY_STEPS))
    if unknown:
        raise StorageError(
            f"the database schema is at step {max(unknown)}, newer than this slaengine knows:"
            " upgrade slaengine before using this database"
        )
    return _LEGACY_STEPS[max(steps)] if steps else BASELINE


def _is_empty(connection: Connection) -> bool:
    existing = set(inspect(connection).get_table_names())
    return not existing & set(schema_metadata().tables)


def check_schema(connection: Connection) -> str | None:
    """The database's revision (None when fresh); raises StorageError if newer than this code."""
    revision = current_revision(connection)
    if revision is not None and not _known(revision):
        raise StorageError(
            f"the database schema is at revision {revision}, newer than this slaengine knows"
            f" (up to {head_revision()}): upgrade slaengine before using this database"
        )
    return revision


def pending_revisions(connection: Connection) -> list[str]:
    """Revisions not yet applied to a stamped database, oldest first."""
    revision = check_schema(connection)
    if revision is None:
        return []
    steps = _script().iterate_revisions(head_revision(), revision)
    return [script.revision for script in reversed(list(steps))]


def at_head(engine: Engine) -> bool:
    """Whether the database is stamped with the shipped head revision and holds every table
    (nothing for `migrate` to do), read with plain SQL: give it a `reading` engine, so that a
    command's start never waits for another process's write."""
    head = shipped_head()
    with engine.connect() as connection:
        if head is None or _stamped(connection) != head:
            return False
        return not SCHEMA_TABLES - set(inspect(connection).get_table_names())


def migrate(engine: Engine) -> list[str]:
    """Bring the database to the head revision; returns the revisions that ran, oldest first.

    A fresh database is created from the models and stamped without running any revision.
    Raises StorageError if the database's schema is newer than this code.
    """
    with engine.begin() as connection:
        if _stamped(connection) == shipped_head():  # the usual case, without importing Alembic
            if SCHEMA_TABLES - set(inspect(connection).get_table_names()):
                schema_metadata().create_all(connection)  # tables new in this code
            return []
        revision = check_schema(connection)
        if revision == head_revision():
            schema_metadata().create_all(connection)  # tables new in this code, if any
            return []
        return _upgrade(connection, revision)


_REVISION = re.compile(r"^(down_)?revision\b[^=\n]*=\s*(?:[\"']([^\"']+)[\"']|None)", re.M)


def shipped_head() -> str | None:
    """The head revision read from the revision files' `revision` and `down_revision` lines,
    without importing Alembic (about 0.2 s of a command's start); None when the files do not
    say plainly (then `head_revision`, Alembic's own answer, decides)."""
    return _head_in(REVISIONS / "versions")


@cache
def _head_in(folder: Path) -> str | None:
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in folder.glob("*.py"):
        for down, name in _REVISION.findall(path.read_text(encoding="utf-8")):
            if name:
                (downs if down else revisions).add(name)
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def _stamped(connection: Connection) -> str | None:
    """The revision in `alembic_version`, read with plain SQL (None: no stamp)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(found[0]) if len(found) == 1 else None


def _upgrade(connection: Connection, revision: str | None) -> list[str]:
    from alembic import command

    config = _config(connection)
    if revision is None:
        legacy = _legacy_revision(connection)
        if legacy is None and _is_empty(connection):
            schema_metadata().create_all(connection)
            command.stamp(config, "head")
            return []
        revision = legacy or BASELINE  # tables without any stamp: the baseline made them
        command.stamp(config, revision)
        if legacy is not None:
            legacy_schema_migration.drop(connection)
    pending = pending_revisions(connection)
    schema_metadata().create_all(connection)
    command.upgrade(config, "head")
    return pending
