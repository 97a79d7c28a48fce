"""`slaengine evaluate CONTRACT --period YYYY-MM [--as-of ISO] [--json]`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from slaengine.cli.context import AppContext
from slaengine.cli.options import check_period, parse_as_of
from slaengine.cli.safe_text import safe, visible

if TYPE_CHECKING:  # rich draws the table only: `--json` prints without it
    from rich.table import Table

    from slaengine.domain.evaluation.results import Evaluation

_STATUS_STYLE = {
    "met": "green",
    "breached": "bold red",
    "not_determined": "yellow",
    "excused": "cyan",
}


@click.command()
@click.argument("contract_id", metavar="CONTRACT")
@click.option(
    "--period",
    required=True,
    callback=check_period,
    metavar="YYYY-MM",
    help="The month to evaluate, YYYY-MM.",
)
@click.option(
    "--as-of",
    "as_of",
    callback=parse_as_of,
    help="Evaluate as of this instant (ISO 8601 with offset; default now). Before the month's"
    " settlement instant: a provisional result (month to date, with early warnings; a what-if"
    " never replaces the month's result). At or after it: the month's final result.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print SPEC's JSON object instead of a table."
)
@click.pass_obj
def evaluate(
    app: AppContext, contract_id: str, period: str, as_of: datetime, as_json: bool
) -> None:
    """Evaluate every objective of CONTRACT for the month.

    A settled month gives its final result (as of its settlement instant, stored once; a
    restatement when its inputs changed); an unsettled one a provisional result as of
    --as-of (stored apart, never the month's result).
    """
    from slaengine.services.evaluation import evaluation_to_json, run_evaluation

    outcome = run_evaluation(app.engine, contract_id, period, as_of=as_of)
    document = evaluation_to_json(outcome.evaluation) | {"stored": outcome.stored}
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    _print_table(document)
    click.echo(visible(lifecycle_message(document, outcome.replaced)))


def lifecycle_message(document: dict[str, Any], replaced: Evaluation | None) -> str:
    """One line: which kind of result this is and what was stored."""
    lifecycle, stored = document["lifecycle"], document["stored"]
    if lifecycle == "provisional":
        where = "stored apart" if stored else "already stored"
        return (
            f"provisional as of {document['as_of']} ({where}; never the month's result):"
            f" the month settles at {document['settles_at']}"
        )
    if not stored:
        return (
            f"{lifecycle} result as of {document['as_of']} (settlement instant): inputs"
            " unchanged, nothing new stored"
        )
    if replaced is not None:
        credits = document["credits"]
        return (
            f"restated: a new final result as of {document['as_of']} replaces the earlier one"
            f" (its inputs changed; credits owed {replaced.credits.total} ->"
            f" {credits['total']} {credits['currency']}); the earlier result is kept"
        )
    return f"final result as of {document['as_of']} (settlement instant): stored"


def _shown(kpi: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if kpi in ("average_speed_of_answer", "average_handle_time"):
        return f"{value:.1f}s"
    if kpi == "nps":
        return f"{value:.1f}"
    return f"{value:.1%}"


WIDE = 120  # below this many columns: no kpi column, notes printed under the table


def evaluation_table(document: dict[str, Any], width: int) -> tuple[Table, list[str]]:
    """The objectives table and, in a narrow terminal, the notes to print under it (`id:
    note`, wrapped at words). Objective ids are never cut: their column is as wide as the
    longest id and never wraps."""
    from rich import box
    from rich.table import Table

    narrow = width < WIDE
    title = safe(
        f"{document['contract']} v{document['contract_version']} {document['period']}"
        + f" [{document['lifecycle']}]"
        + (" (month to date)" if document["month_to_date"] else "")
    )
    longest = max((len(item["id"]) for item in document["objectives"]), default=9)
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD,
        show_edge=not narrow,
        pad_edge=not narrow,
    )
    table.add_column("objective", no_wrap=True, min_width=max(longest, 9))
    if not narrow:
        table.add_column("kpi", overflow="fold")
    table.add_column("status", no_wrap=True)
    for heading in ("value", "target", "counts", "credit"):
        table.add_column(heading, no_wrap=True, justify="right" if heading != "target" else "left")
    if not narrow:
        table.add_column("note", ratio=1)
    notes: list[str] = []
    for item in document["objectives"]:
        status = item["status"]
        counts = (
            f"{item['numerator']}/{item['denominator']}" if item["denominator"] is not None else "-"
        )
        note = item["at_risk_reason"] or item["reason"] or ""
        if item["provider_differs"]:
            note = f"provider says {_shown(item['kpi'], item['provider_reported_value'])}; {note}"
        at_risk = " [bold red](at risk)[/]" if item["at_risk"] and not narrow else ""
        cells = [
            safe(item["id"]),
            *([] if narrow else [safe(item["kpi"])]),
            f"[{_STATUS_STYLE[status]}]{safe(status)}[/]{at_risk}",
            safe(_shown(item["kpi"], item["value"])),
            safe(item["target_text"] or "-"),
            counts,
            safe(item["credit"]),
            *([] if narrow else [safe(note)]),
        ]
        table.add_row(*cells)
        if narrow and (note or item["at_risk"]):
            risk = "at risk: " if item["at_risk"] else ""
            notes.append(visible(f"{item['id']}: {risk}{note}".rstrip(": ")))
    return table, notes


def _print_table(document: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console()
    table, notes = evaluation_table(document, console.width)
    console.print(table)
    for line in notes:
        console.print(line, markup=False, highlight=False)
    credits = document["credits"]
    console.print(
        f"credits: {credits['total']} {safe(credits['currency'])} of {credits['at_risk']} at risk"
        + (" (capped)" if credits["capped"] else "")
        + (f", earned back {credits['earned_back']}" if credits["earned_back"] != "0.00" else "")
    )
    bonus = document.get("incentives")
    if bonus and bonus["cap"] != "0.00":
        console.print(
            f"incentives: {bonus['total']} {safe(bonus['currency'])} of {bonus['cap']} cap"
            + (
                f" (offset against credits {bonus['credits_offset']})"
                if bonus["offset_credits"]
                else ""
            )
            + f"; net position for the provider {bonus['net_position']}"
        )
    for day in document["excluded_days"]:
        console.print(safe(f"excluded {day['day']} {day['channel']}: {day['reason']}"))
    for flag in document["chronic_failures"]:
        console.print(
            f"[bold red]chronic failure[/]: {safe(flag['objective'])} breached in"
            f" {safe(', '.join(flag['breached_periods']))}"
        )
