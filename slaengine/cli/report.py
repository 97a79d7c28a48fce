"""`slaengine report` commands: write a PDF into the reports folder and print its path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from slaengine.cli.context import AppContext
from slaengine.cli.options import check_period, parse_as_of
from slaengine.cli.safe_text import visible

period_option = click.option(
    "--period", required=True, callback=check_period, metavar="YYYY-MM", help="The month to report."
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    callback=parse_as_of,
    metavar="ISO",
    help="Report the month as it stands at this instant (ISO 8601 with offset; default now):"
    " its final result when the month is settled by then, else a provisional result as of"
    " this instant, said on every page.",
)


def _reports_dir(app: AppContext) -> Path:
    return app.settings.reports_dir


@click.group()
def report() -> None:
    """Write PDF reports (scorecard, portfolio, audit, benchmark) into the reports folder.

    The folder comes from config.toml [paths] reports or SLAENGINE_REPORTS_DIR. A settled
    month is reported with its final result; an unsettled one says "provisional as of ..."
    on every page.
    """


@report.command()
@click.argument("contract")
@period_option
@click.option("--csv", "csv", is_flag=True, help="Also write the objectives table as CSV.")
@as_of_option
@click.pass_obj
def scorecard(app: AppContext, contract: str, period: str, csv: bool, as_of: datetime) -> None:
    """Write the monthly provider scorecard of CONTRACT; prints the PDF path."""
    from slaengine.services.reports import write_scorecard

    path = write_scorecard(
        app.engine,
        contract,
        period,
        _reports_dir(app),
        as_of=as_of,
        csv=csv,
        contracts_dir=app.settings.contracts_dir,
    )
    click.echo(visible(path))
    if csv:
        click.echo(visible(path.with_suffix(".csv")))


@report.command()
@period_option
@as_of_option
@click.pass_obj
def portfolio(app: AppContext, period: str, as_of: datetime) -> None:
    """Write the director's portfolio of every contract in force; prints the PDF path."""
    from slaengine.services.reports import write_portfolio

    folder = app.settings.contracts_dir
    path = write_portfolio(app.engine, period, _reports_dir(app), as_of=as_of, contracts_dir=folder)
    click.echo(visible(path))


@report.command()
@click.argument("contract")
@period_option
@as_of_option
@click.pass_obj
def audit(app: AppContext, contract: str, period: str, as_of: datetime) -> None:
    """Write the audit report of CONTRACT (byte-identical for identical inputs)."""
    from slaengine.services.reports import write_audit

    click.echo(visible(write_audit(app.engine, contract, period, _reports_dir(app), as_of=as_of)))


@report.command()
@click.argument("activity")
@period_option
@as_of_option
@click.pass_obj
def benchmark(app: AppContext, activity: str, period: str, as_of: datetime) -> None:
    """Write the sourcing benchmark PDF of ACTIVITY; prints the PDF path."""
    from slaengine.services.reports import write_benchmark

    folder = app.settings.contracts_dir
    path = write_benchmark(
        app.engine, activity, period, _reports_dir(app), as_of=as_of, contracts_dir=folder
    )
    click.echo(visible(path))
