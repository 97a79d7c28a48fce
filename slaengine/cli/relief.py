"""`slaengine relief request|approve|reject|withdraw|list`: relief requests (SPEC section 7)."""

from __future__ import annotations

import json
import shutil
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from slaengine.cli.context import AppContext
from slaengine.cli.options import check_period
from slaengine.cli.safe_text import visible
from slaengine.domain.evaluation.relief import STATUSES, ReliefRequest, StepKind


def _instant(_ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected an ISO 8601 instant such as 2026-03-04T10:00:00+01:00, found {value!r}"
        ) from None
    if instant.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset: add one, e.g. +01:00 or Z")
    return instant


def _names(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _channels(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    from slaengine.domain.contract.model import CHANNELS

    names = _names(ctx, param, value)
    unknown = [name for name in names if name not in CHANNELS]
    if unknown or not names:
        raise click.BadParameter(
            f"expected channels among {', '.join(CHANNELS)} separated by commas, found {value!r}"
        )
    return names


@click.group()
def relief() -> None:
    """Relief requests: incidents declared, decided by someone else, reflected in the month.

    A request is pending until another person approves or rejects it; only approved relief
    excludes contacts (like a contract's exclusions.events entry). Approving or withdrawing
    relief of a settled month restates its final result at the next evaluation or report.
    """


@relief.command()
@click.argument("contract_id", metavar="CONTRACT")
@click.option(
    "--from",
    "start",
    required=True,
    callback=_instant,
    metavar="ISO",
    help="When the incident started (ISO 8601 with its offset).",
)
@click.option(
    "--to",
    "end",
    required=True,
    callback=_instant,
    metavar="ISO",
    help="When it ended (ISO 8601 with its offset); at most 31 days after --from.",
)
@click.option(
    "--channels",
    required=True,
    callback=_channels,
    metavar="LIST",
    help="Channels affected, e.g. phone,chat (the contract must cover them).",
)
@click.option(
    "--queues",
    callback=_names,
    metavar="LIST",
    help="Only these queues (default: every queue of the channels).",
)
@click.option("--reason", required=True, help="What happened, in words.")
@click.option("--by", "by", required=True, metavar="NAME", help="Who asks.")
@click.option(
    "--evidence",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file backing the request; its sha256 is kept and a copy stored.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the request as JSON.")
@click.pass_obj
def request(
    app: AppContext, contract_id: str, start: datetime, end: datetime, channels: tuple[str, ...],
    queues: tuple[str, ...], reason: str, by: str, evidence: Path | None, as_json: bool,
) -> None:  # fmt: skip
    """Record a pending relief request for CONTRACT; prints its id.

    Refused (exit 1, nothing stored) when the interval ends before it starts or exceeds 31
    days, a channel is not covered by the contract, the contract's request_within deadline
    has passed, or approved relief would pass its max_hours_per_month.
    """
    from slaengine.services.relief import ReliefAsked, request_relief

    asked = ReliefAsked(contract_id, start, end, channels, queues or None, reason, by, evidence)
    found = request_relief(app.engine, asked, now=datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(request_to_json(found, app), indent=2))
        return
    click.echo(f"relief request {found.id} recorded (pending): {found.hours} hours")
    if found.evidence_sha256:
        click.echo(f"evidence sha256 {found.evidence_sha256}")


def _decide(app: AppContext, request_id: int, kind: StepKind, by: str, note: str) -> None:
    from slaengine.services.relief import decide_relief

    found = decide_relief(app.engine, request_id, kind, by, note, now=datetime.now(UTC))
    click.echo(f"relief request {found.id} {kind} by {visible(by.strip())}")
    if kind != "rejected":
        click.echo(
            "the months it covers change at their next evaluation; a settled month is restated"
        )


@relief.command()
@click.argument("request_id", metavar="ID", type=int)
@click.option("--by", "by", required=True, metavar="NAME", help="Who approves (not the requester).")
@click.option("--note", default="", help="Why, for the audit trail.")
@click.pass_obj
def approve(app: AppContext, request_id: int, by: str, note: str) -> None:
    """Approve a pending request (never by its requester; final)."""
    _decide(app, request_id, "approved", by, note)


@relief.command()
@click.argument("request_id", metavar="ID", type=int)
@click.option("--by", "by", required=True, metavar="NAME", help="Who rejects (not the requester).")
@click.option("--note", required=True, help="Why it is rejected.")
@click.pass_obj
def reject(app: AppContext, request_id: int, by: str, note: str) -> None:
    """Reject a pending request (never by its requester; final)."""
    _decide(app, request_id, "rejected", by, note)


@relief.command()
@click.argument("request_id", metavar="ID", type=int)
@click.option("--by", "by", required=True, metavar="NAME", help="Who withdraws it.")
@click.option("--note", required=True, help="The mistake this corrects.")
@click.pass_obj
def withdraw(app: AppContext, request_id: int, by: str, note: str) -> None:
    """Withdraw a request, decided or not: it excludes nothing from then on (recorded)."""
    _decide(app, request_id, "withdrawn", by, note)


@relief.command(name="list")
@click.argument("contract_id", metavar="[CONTRACT]", required=False)
@click.option(
    "--period",
    callback=check_period,
    metavar="YYYY-MM",
    help="Only requests overlapping this month (local to the contract).",
)
@click.option("--status", type=click.Choice(STATUSES), help="Only requests with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print the requests as JSON.")
@click.pass_obj
def list_command(
    app: AppContext, contract_id: str | None, period: str | None, status: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """List relief requests with their trail (request, evidence, decision, withdrawal)."""
    from slaengine.services.relief import list_relief

    found = list_relief(app.reading_engine, contract_id, period=period, status=status)
    if as_json:
        click.echo(json.dumps([request_to_json(item, app) for item in found], indent=2))
        return
    if not found:
        click.echo("no relief requests" + (f" for {contract_id}" if contract_id else ""))
        return
    width = min(shutil.get_terminal_size((80, 24)).columns, 100)
    for item in found:
        for line in request_lines(item, _zone(app, item)):
            first, *rest = textwrap.wrap(line, width, subsequent_indent="    ") or [""]
            click.echo(first)
            for more in rest:
                click.echo(more)


def _zone(app: AppContext, item: ReliefRequest) -> Any:
    """The zone of the contract's first stored version (read without validating it)."""
    from zoneinfo import ZoneInfo

    from slaengine.adapters.storage.contract_repo import version_records

    versions = version_records(app.reading_engine, item.contract_id)
    return ZoneInfo(versions[0].timezone) if versions else UTC


def request_lines(item: ReliefRequest, zone: Any) -> list[str]:
    """A request as a few lines: what, who asked, evidence, then each step of its trail."""
    start, end = item.start.astimezone(zone), item.end.astimezone(zone)
    to = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    key = getattr(zone, "key", "UTC")
    queues = f" queues {', '.join(item.queues)}" if item.queues else ""
    lines = [
        f"#{item.id} {item.contract_id} {item.status.upper()}  {start:%Y-%m-%d %H:%M}-{to}"
        f" ({key}), {item.hours} h, {', '.join(item.channels)}{visible(queues)}",
        f"  requested by {visible(item.requested_by)} {_when(item.requested_at, zone)}:"
        f" {visible(item.reason)}",
    ]
    if item.evidence_sha256:
        name = visible(item.evidence_name or "")
        lines.append(f"  evidence {name} sha256 {item.evidence_sha256}")
    for step in item.steps:
        note = f": {visible(step.note)}" if step.note else ""
        lines.append(f"  {step.kind} by {visible(step.by)} {_when(step.at, zone)}{note}")
    return lines


def _when(instant: datetime, zone: Any) -> str:
    return f"{instant.astimezone(zone):%Y-%m-%d %H:%M}"


def request_to_json(item: ReliefRequest, app: AppContext | None = None) -> dict[str, Any]:
    """A request and its trail as plain JSON (instants in UTC, ISO 8601)."""
    return {
        "id": item.id,
        "contract": item.contract_id,
        "status": item.status,
        "from": item.start.astimezone(UTC).isoformat(),
        "to": item.end.astimezone(UTC).isoformat(),
        "hours": str(item.hours),
        "channels": list(item.channels),
        "queues": None if item.queues is None else list(item.queues),
        "reason": item.reason,
        "requested_by": item.requested_by,
        "requested_at": item.requested_at.astimezone(UTC).isoformat(),
        "evidence": None
        if item.evidence_sha256 is None
        else {"sha256": item.evidence_sha256, "file_name": item.evidence_name},
        "trail": [
            {"step": step.kind, "by": step.by, "at": step.at.astimezone(UTC).isoformat(),
             "note": step.note}
            for step in item.steps
        ],
    }  # fmt: skip
