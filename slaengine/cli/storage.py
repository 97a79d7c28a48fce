"""`slaengine storage ...`: look after the columnar store's files."""

from __future__ import annotations

import json

import click

from slaengine.cli.context import AppContext
from slaengine.cli.safe_text import visible


@click.group()
def storage() -> None:
    """Look after the Parquet files of the contact store."""


@storage.command()
@click.option(
    "--grace",
    "grace_seconds",
    type=click.FloatRange(min=0),
    default=3600.0,
    show_default=True,
    help="Also keep unregistered files younger than this many seconds (a second guard: the"
    " sweep already waits for running ingestions through the catalogue's store lock).",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Wait this many seconds for running ingestions to commit, then give up removing nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the removed files as JSON.")
@click.pass_obj
def sweep(app: AppContext, grace_seconds: float, wait_seconds: float, as_json: bool) -> None:
    """Remove the files of the data location that the catalogue does not register.

    Refuses a data location that belongs to another catalogue (its slaengine-catalogue.json).
    """
    from slaengine.adapters.columnar.location import data_location
    from slaengine.adapters.columnar.sweep import sweep as sweep_files

    removed = sweep_files(app.engine, grace_seconds=grace_seconds, wait_seconds=wait_seconds)
    if as_json:
        click.echo(json.dumps({"location": data_location(app.engine), "removed": removed}))
        return
    click.echo(
        visible(f"{len(removed)} unregistered file(s) removed from {data_location(app.engine)}")
    )
    for name in removed:
        click.echo(f"  {visible(name)}")
