"""`slaengine run monthly|month-to-date|history`: the scheduled jobs by hand, and the ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from slaengine.cli.context import AppContext
from slaengine.cli.options import check_period, parse_as_of
from slaengine.cli.run_output import progress_bars, show_history, show_report


@click.group("run")
def run() -> None:
    """Run the monthly close or the month-to-date warnings now; show the run ledger."""


@run.command("monthly")
@click.option(
    "--period",
    required=True,
    callback=check_period,
    metavar="YYYY-MM",
    help="The month to close, YYYY-MM.",
)
@click.option(
    "--force",
    is_flag=True,
    help=(
        "Close the month again even if it was closed (recorded as forced). On a close stopped"
        " with an e-mail of unknown fate (killed while sending), send that e-mail again, same"
        " Message-ID."
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_obj
def monthly(app: AppContext, period: str, force: bool, as_json: bool) -> None:
    """The monthly close: pull the feeds, evaluate every contract (final), write the reports
    and e-mail the director. A month already closed is left alone unless --force; a close
    that was interrupted or failed is completed. Exits 1 naming any contract that failed."""
    from slaengine.services.close import close_month
    from slaengine.services.runs import run_lock

    with run_lock(app.engine), progress_bars(as_json) as progress:
        report = close_month(
            app.engine, app.settings, period, now=datetime.now(UTC), force=force, progress=progress
        )
    show_report(report, as_json)


@run.command("month-to-date")
@click.option(
    "--as-of",
    "as_of",
    callback=parse_as_of,
    help="Evaluate as of this instant (ISO 8601 with offset; default now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_obj
def month_to_date_command(app: AppContext, as_of: datetime, as_json: bool) -> None:
    """Early warning: provisional evaluations of the current month, and one webhook alert per
    objective at risk or breached (once per objective and day)."""
    from slaengine.services.month_to_date import month_to_date
    from slaengine.services.runs import run_lock

    with run_lock(app.engine), progress_bars(as_json) as progress:
        report = month_to_date(app.engine, app.settings, as_of=as_of, progress=progress)
    show_report(report, as_json)


@run.command("history")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(1), help="How many runs to show."
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as a JSON list.")
@click.pass_obj
def history(app: AppContext, limit: int, as_json: bool) -> None:
    """The run ledger: job, period, started, finished, outcome, counts, error, forced."""
    from slaengine.adapters.storage.run_records import run_history

    show_history(run_history(app.reading_engine, limit), as_json)
