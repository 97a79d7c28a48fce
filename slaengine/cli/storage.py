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
    help="Keep unregistered files younger than this many seconds (ingestions still running).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the removed files as JSON.")
@click.pass_obj
def sweep(app: AppContext, grace_seconds: float, as_json: bool) -> None:
    """Remove the files of the data location that the catalogue does not register."""
    from slaengine.adapters.columnar.location import data_location
    from slaengine.adapters.columnar.sweep import sweep as sweep_files

    removed = sweep_files(app.engine, grace_seconds=grace_seconds)
    if as_json:
        click.echo(json.dumps({"location": data_location(app.engine), "removed": removed}))
        return
    click.echo(
        visible(f"{len(removed)} unregistered file(s) removed from {data_location(app.engine)}")
    )
    for name in removed:
        click.echo(f"  {visible(name)}")
