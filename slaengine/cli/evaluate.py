"""`slaengine evaluate CONTRACT --period YYYY-MM [--as-of ISO] [--json]`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from slaengine.cli.context import AppContext
from slaengine.cli.options import check_period, parse_as_of

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
    help="Evaluate as of this instant (ISO 8601 with offset; default now). Inside the period:"
    " month to date, with early warnings.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print SPEC's JSON object instead of a table."
)
@click.pass_obj
def evaluate(
    app: AppContext, contract_id: str, period: str, as_of: datetime, as_json: bool
) -> None:
    """Evaluate every objective of CONTRACT for the month (stores the result)."""
    from slaengine.services.evaluation import evaluate_period, evaluation_to_json

    result = evaluate_period(app.engine, contract_id, period, as_of=as_of)
    document = evaluation_to_json(result)
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    _print_table(document)


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


def _print_table(document: dict[str, Any]) -> None:
    console = Console()
    title = (
        f"{document['contract']} v{document['contract_version']} {document['period']}"
        + (" (month to date)" if document["month_to_date"] else "")
        + (" [restated]" if document["restated"] else "")
    )
    table = Table(title=title)
    for heading in ("objective", "kpi", "status", "value", "target", "counts", "credit", "note"):
        table.add_column(heading)
    for item in document["objectives"]:
        status = item["status"]
        counts = (
            f"{item['numerator']}/{item['denominator']}" if item["denominator"] is not None else "-"
        )
        note = item["at_risk_reason"] or item["reason"] or ""
        if item["provider_differs"]:
            note = f"provider says {_shown(item['kpi'], item['provider_reported_value'])}; {note}"
        table.add_row(
            item["id"],
            item["kpi"],
            f"[{_STATUS_STYLE[status]}]{status}[/]"
            + (" [bold red](at risk)[/]" if item["at_risk"] else ""),
            _shown(item["kpi"], item["value"]),
            item["target_text"] or "-",
            counts,
            item["credit"],
            note,
        )
    console.print(table)
    credits = document["credits"]
    console.print(
        f"credits: {credits['total']} {credits['currency']} of {credits['at_risk']} at risk"
        + (" (capped)" if credits["capped"] else "")
        + (f", earned back {credits['earned_back']}" if credits["earned_back"] != "0.00" else "")
    )
    for day in document["excluded_days"]:
        console.print(f"excluded {day['day']} {day['channel']}: {day['reason']}")
    for flag in document["chronic_failures"]:
        console.print(
            f"[bold red]chronic failure[/]: {flag['objective']} breached in"
            f" {', '.join(flag['breached_periods'])}"
        )
