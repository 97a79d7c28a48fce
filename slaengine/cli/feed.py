"""`slaengine feed ...`: ingest provider KPI feed files, inspect quarantined rows, pull feeds."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from slaengine.adapters.feeds.schemas import KINDS
from slaengine.cli.context import AppContext


@click.group()
def feed() -> None:
    """Ingest provider KPI feeds (contacts, intervals, costs, forecasts) and inspect them."""


@feed.command()
@click.argument("contract")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--strict", is_flag=True, help="Store nothing if any row is invalid.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A provider-export mapping (YAML) that turns the file into annex columns first.",
)
@click.pass_obj
def ingest(
    app: AppContext,
    contract: str,
    kind: str,
    file: Path,
    strict: bool,
    as_json: bool,
    mapping: Path | None,
) -> None:
    """Validate and store a feed FILE (CSV, JSON Lines or Parquet) for CONTRACT.

    Every row is stored or quarantined with its reasons; re-ingesting the same bytes changes
    nothing; --strict stores nothing when any row is invalid (exit 1).
    """
    from slaengine.services.feeds import ingest_feed

    loaded = None
    if mapping is not None:
        from slaengine.adapters.feeds.mapping import load_mapping

        loaded = load_mapping(mapping)
    report = ingest_feed(app.engine, contract, kind, file, strict=strict, mapping=loaded)
    if as_json:
        out = report.to_json()
        shown = {key: out[key] for key in ("rows", "stored", "quarantined", "reasons")}
        if mapping is not None:  # rows the mapping dropped on purpose: not bad rows
            shown |= {"dropped": report.dropped, "dropped_reasons": report.dropped_reasons}
        click.echo(json.dumps(shown))
        return
    table = Table(title=f"{kind} feed {file.name} for {contract}", title_justify="left")
    for column in ("rows", "stored", "quarantined", "restated"):
        table.add_column(column, justify="right")
    table.add_column("reasons")
    reasons = ", ".join(f"{code}: {n}" for code, n in report.reasons.items()) or "-"
    table.add_row(
        str(report.rows), str(report.stored), str(report.quarantined), str(report.restated), reasons
    )
    console = Console()
    console.print(table)
    if report.dropped:
        drops = ", ".join(f"{code}: {n}" for code, n in report.dropped_reasons.items())
        console.print(f"dropped by the mapping (not bad rows): {report.dropped} ({drops})")
    if report.unchanged:
        console.print(f"unchanged: these bytes were already ingested as file {report.file_id}")
    elif report.quarantined:
        console.print(
            f"see the bad rows: slaengine feed quarantine {contract} --file {report.file_id}"
        )


@feed.command()
@click.argument("contract")
@click.option("--file", "file_id", type=int, help="Only the rows of this feed file id.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON list.")
@click.pass_obj
def quarantine(app: AppContext, contract: str, file_id: int | None, as_json: bool) -> None:
    """List CONTRACT's quarantined rows: file, line, reasons and raw values."""
    from slaengine.services.feeds import quarantined_rows

    rows = quarantined_rows(app.engine, contract, file_id=file_id)
    if as_json:
        click.echo(json.dumps([row.to_json() for row in rows]))
        return
    if not rows:
        click.echo(f"no quarantined rows for {contract}")
        return
    table = Table(title=f"Quarantined rows of {contract}", title_justify="left")
    for column in ("file", "line", "reasons", "raw values"):
        table.add_column(column, justify="right" if column == "line" else "left", overflow="fold")
    for row in rows:
        raw = ", ".join(f"{k}={v}" for k, v in row.raw.items() if v != "")
        table.add_row(f"{row.file_id} {row.file_name}", str(row.line), "\n".join(row.reasons), raw)
    Console().print(table)


def _register_pull() -> None:
    from slaengine.cli.feed_pull import pull

    feed.add_command(pull)


_register_pull()
