"""`slaengine db`: the database schema (Alembic revisions shipped in the package)."""

from __future__ import annotations

import json

import click

from slaengine.cli.context import AppContext


@click.group()
def db() -> None:
    """Database schema: show its revision, apply the pending ones."""


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def upgrade(app: AppContext, as_json: bool) -> None:
    """Apply every pending schema revision (also done on first use by every command)."""
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.adapters.storage.migrations import check_schema, head_revision

    engine = make_engine(app.settings.database_url)
    try:
        with engine.connect() as connection:
            before = check_schema(connection)
        applied = create_schema(engine)
    finally:
        engine.dispose()
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
    from slaengine.adapters.storage.engine import make_engine
    from slaengine.adapters.storage.migrations import (
        check_schema,
        head_revision,
        pending_revisions,
    )

    engine = make_engine(app.settings.database_url)
    try:
        with engine.connect() as connection:
            revision = check_schema(connection)
            pending = pending_revisions(connection)
    finally:
        engine.dispose()
    click.echo(f"database: {revision or 'not created yet'}; this slaengine: {head_revision()}")
    if pending:
        click.echo(f"pending: {', '.join(pending)} (run `slaengine db upgrade`)")
