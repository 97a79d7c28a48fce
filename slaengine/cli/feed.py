"""`slaengine feed ...`: ingest provider KPI feed files, inspect quarantined rows, pull feeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from slaengine.cli.context import AppContext
from slaengine.cli.safe_text import safe, visible

# the feed kinds of adapters/feeds/schemas.py KINDS, spelt here so that `--help` need not
# import pandera and polars (a test keeps the two equal)
FEED_KINDS = ("contacts", "intervals", "costs", "forecasts")


@click.group()
def feed() -> None:
    """Ingest provider KPI feeds (contacts, intervals, costs, forecasts) and inspect them."""


@feed.command()
@click.argument("contract")
@click.argument("kind", type=click.Choice(FEED_KINDS))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--strict", is_flag=True, help="Store nothing if any row is invalid.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A provider-export mapping (TOML) that turns the file into annex columns first.",
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
    from rich.console import Console
    from rich.table import Table

    from slaengine.services.feeds import ingest_feed

    loaded = None
    if mapping is not None:
        from slaengine.adapters.feeds.mapping import load_mapping

        loaded = load_mapping(mapping)
    report = ingest_feed(app.engine, contract, kind, file, strict=strict, mapping=loaded)
    if as_json:
        out = report.to_json()
        keys = ("rows", "stored", "quarantined", "reasons", "unchanged", "file_id")
        shown = {key: out[key] for key in keys if key in out}
        if mapping is not None:  # rows the mapping dropped on purpose: not bad rows
            shown |= {"dropped": report.dropped, "dropped_reasons": report.dropped_reasons}
        click.echo(json.dumps(shown))
        return
    table = Table(title=safe(f"{kind} feed {file.name} for {contract}"), title_justify="left")
    for column in ("rows", "stored", "quarantined", "restated"):
        table.add_column(column, justify="right")
    table.add_column("reasons")
    reasons = safe(", ".join(f"{code}: {n}" for code, n in report.reasons.items()) or "-")
    table.add_row(
        str(report.rows), str(report.stored), str(report.quarantined), str(report.restated), reasons
    )
    console = Console()
    console.print(table)
    if report.dropped:
        drops = safe(", ".join(f"{code}: {n}" for code, n in report.dropped_reasons.items()))
        console.print(f"dropped by the mapping (not bad rows): {report.dropped} ({drops})")
    if report.unchanged:
        console.print(f"unchanged: these bytes were already ingested as file {report.file_id}")
    elif report.quarantined:
        console.print(
            f"see the bad rows: slaengine feed quarantine {safe(contract)} --file {report.file_id}"
        )


@feed.command()
@click.argument("contract")
@click.option("--file", "file_id", type=int, metavar="ID", help="Only the rows of this feed file.")
@click.option(
    "--reason", "reason", metavar="CODE", help="Only the rows with this reason code (see --json)."
)
@click.option(
    "--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N rows (default: all)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON list.")
@click.pass_obj
def quarantine(
    app: AppContext,
    contract: str,
    file_id: int | None,
    reason: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List CONTRACT's quarantined rows: file, line, readable reasons and raw values.

    An unknown CONTRACT is an error (exit 1), not an empty list.
    """
    from slaengine.services.contracts import latest_contract
    from slaengine.services.feeds import quarantined_rows

    latest_contract(app.engine, contract)  # ContractNotFound -> `error: ...`, exit 1
    rows = quarantined_rows(app.engine, contract, file_id=file_id)
    if reason is not None:
        rows = [row for row in rows if reason in row.reasons]
    shown = rows[:limit] if limit is not None else rows
    if as_json:
        click.echo(json.dumps([row.to_json() for row in shown]))
        return
    if not rows:
        click.echo(
            visible(
                f"no quarantined rows for {contract}" + (f" with reason {reason}" if reason else "")
            )
        )
        return
    quarantine_table(contract, shown)
    if len(shown) < len(rows):
        click.echo(f"{len(shown)} of {len(rows)} rows shown (--limit {limit})")


def quarantine_table(contract: str, rows: list[Any]) -> None:
    """File ids, lines and reason codes are never cut; reasons in words and raw values (one
    per line) wrap; the file names follow the table."""
    from rich.console import Console
    from rich.table import Table

    codes = max((len(code) for row in rows for code in row.reasons), default=10) + 2
    table = Table(title=safe(f"Quarantined rows of {contract}"), title_justify="left")
    table.add_column("file", no_wrap=True, justify="right")
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("reasons", min_width=codes, ratio=1)
    table.add_column("raw values", overflow="fold", ratio=1)
    for row in rows:
        raw = "\n".join(safe(f"{k}={v}") for k, v in row.raw.items() if v != "")
        reasons = "\n".join(
            f"{safe(message)}\n({safe(code)})" if message != code else safe(code)
            for code, message in zip(row.reasons, row.messages, strict=True)
        )
        table.add_row(str(row.file_id), str(row.line), reasons, raw)
    console = Console()
    console.print(table)
    for file_id, name in sorted({(row.file_id, row.file_name) for row in rows}):
        console.print(f"file {file_id}: {visible(name)}", markup=False, highlight=False)


def _register_pull() -> None:
    from slaengine.cli.feed_pull import pull

    feed.add_command(pull)


_register_pull()
