"""`slaengine db`: the database schema (Alembic revisions shipped in the package)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from slaengine.cli.context import AppContext
from slaengine.errors import StorageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@contextmanager
def _database(url: str) -> Iterator[Engine]:
    """The engine of `url`, disposed of after; an unreachable server is a StorageError."""
    from sqlalchemy.exc import OperationalError

    from slaengine.adapters.storage.engine import make_engine

    engine = make_engine(url)
    try:
        yield engine
    except OperationalError as error:
        raise StorageError(f"cannot reach the database: {error.orig}") from None
    finally:
        engine.dispose()


@click.group()
def db() -> None:
    """Database schema: show its revision, apply the pending ones."""


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def upgrade(app: AppContext, as_json: bool) -> None:
    """Apply every pending schema revision (also done on first use by every command)."""
    from slaengine.adapters.storage.engine import create_schema
    from slaengine.adapters.storage.migrations import check_schema, head_revision

    with _database(app.settings.database_url) as engine:
        with engine.connect() as connection:
            before = check_schema(connection)
        applied = create_schema(engine)
    if as_json:
        report = {"before": before, "applied": applied, "revision": head_revision()}
        click.echo(json.dumps(report))
    elif before is None and not applied:
        click.echo(f"created the database schema at revision {head_revision()}")
    elif applied:
        click.echo(f"applied {', '.join(applied)}; the database is at {head_revision()}")
    else:
        click.echo(f"the database is up to date (revision {head_revision()})")


@db.command()
@click.pass_obj
def current(app: AppContext) -> None:
    """Print the database's schema revision and the newest this slaengine knows."""
    from slaengine.adapters.storage.migrations import (
        check_schema,
        head_revision,
        pending_revisions,
    )

    with _database(app.settings.database_url) as engine, engine.connect() as connection:
        revision = check_schema(connection)
        pending = pending_revisions(connection)
    click.echo(f"database: {revision or 'not created yet'}; this slaengine: {head_revision()}")
    if pending:
        click.echo(f"pending: {', '.join(pending)} (run `slaengine db upgrade`)")
