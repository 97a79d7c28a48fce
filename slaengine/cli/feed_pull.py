"""`slaengine feed pull CONTRACT`: fetch the configured feeds over HTTP, then ingest them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from slaengine.cli.context import AppContext
from slaengine.cli.options import check_period
from slaengine.cli.safe_text import visible
from slaengine.errors import ConfigError


def current_period(timezone: str, now: datetime | None = None) -> str:
    """The current month as YYYY-MM in `timezone` (raises ConfigError for an unknown zone)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config: [schedule] timezone {timezone!r} is not an IANA zone name (e.g. Europe/Paris)"
        ) from None
    moment = now if now is not None else datetime.now(UTC)
    return moment.astimezone(zone).strftime("%Y-%m")


@click.command("pull")
@click.argument("contract")
@click.option(
    "--period",
    callback=check_period,
    metavar="YYYY-MM",
    help="Month to fill into {period} of each feed URL (default: the current month "
    "in the schedule's timezone).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per feed, as a list.")
@click.pass_obj
def pull(app: AppContext, contract: str, period: str | None, as_json: bool) -> None:
    """Fetch the feeds configured for CONTRACT in config.toml over HTTP, then ingest them.

    Tokens are read from the variable each feed names in token_env and sent as a Bearer
    token; they are never printed or stored, and URL query values are shown as ***. Each
    feed's download stops past max_bytes (default 512 MiB) and gives up when retries would
    pass deadline_seconds (default 300 s), both set in its [[feeds]] table.
    """
    from slaengine.services.pull import pull_feeds

    settings = app.settings
    chosen = period or current_period(settings.schedule.timezone)
    outcomes = pull_feeds(app.engine, settings, contract, chosen)
    if as_json:
        click.echo(json.dumps([outcome.as_json() for outcome in outcomes], indent=2))
        return
    for outcome in outcomes:
        click.echo(visible(outcome.summary_line()))
