"""Option parsing shared by every command: months and instants, as click usage errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

Decorated = TypeVar("Decorated", bound=Callable[..., Any])

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A click callback: YYYY-MM (or nothing, for an optional option), else exit 2."""
    if value is not None and not _PERIOD.match(value):
        raise click.BadParameter(f"expected a month as YYYY-MM (e.g. 2026-10), found {value!r}")
    from slaengine.domain.contract.periods import period_problem  # pydantic: only when used

    if value is not None and (problem := period_problem(value)):
        raise click.BadParameter(problem)
    return value


def parse_as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime:
    """A click callback: an ISO 8601 instant with its UTC offset; now when omitted."""
    if value is None:
        return datetime.now(UTC)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected an ISO 8601 instant such as 2026-11-02T08:00:00+01:00, found {value!r}"
        ) from None
    if instant.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset: add one, e.g. +01:00 or Z")
    from slaengine.domain.contract.periods import instant_problem

    if problem := instant_problem(instant):
        raise click.BadParameter(problem)
    return instant


def period_option(
    help_text: str = "The month, YYYY-MM.", required: bool = True
) -> Callable[[Decorated], Decorated]:
    """`--period YYYY-MM`, the same metavar and check on every command."""
    return click.option(
        "--period", required=required, callback=check_period, metavar="YYYY-MM", help=help_text
    )


def as_of_option(
    help_text: str = "Evaluate as of this ISO 8601 instant with its offset (default: now).",
) -> Callable[[Decorated], Decorated]:
    """`--as-of ISO`, the same metavar and check on every command."""
    return click.option("--as-of", "as_of", callback=parse_as_of, metavar="ISO", help=help_text)
