"""Option parsing shared by every command: months and instants, as click usage errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import click

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A click callback: YYYY-MM (or nothing, for an optional option), else exit 2."""
    if value is not None and not _PERIOD.match(value):
        raise click.BadParameter(f"expected a month as YYYY-MM (e.g. 2026-10), found {value!r}")
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
    return instant
