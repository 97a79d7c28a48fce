"""What reports say of a month's relief requests (SPEC section 7), in the report language.

- `relief_lines(requests, zone, contacts)`: each request overlapping the month (approved,
  pending, rejected or withdrawn) with its trail and the contacts it excluded (or would
  exclude once approved); `contacts` maps a request id to the contacts arriving inside it.
- `relief_input_changes(old, new)`: the restatement lines saying which relief was approved
  or withdrawn between two final results of a month (their input keys' `relief` lists).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from slaengine.domain.evaluation.relief import ReliefRequest, ReliefStep
from slaengine.domain.reports.text import channels_text, format_count
from slaengine.i18n import N_, _, current

STATUS_LABELS = {
    "pending": N_("pending"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
}


@dataclass(frozen=True)
class ReliefLine:
    """One relief request as a report shows it (every field already in words)."""

    request_id: int
    status_key: str  # pending | approved | rejected | withdrawn
    status: str
    when: str
    channels: str
    hours: str
    reason: str
    requested: str
    evidence: str
    decision: str
    withdrawal: str | None
    contacts: str


def relief_lines(
    requests: Iterable[ReliefRequest], zone: tzinfo, contacts: Mapping[int, int]
) -> tuple[ReliefLine, ...]:
    """The requests by id, with their trail and contacts (see the module docstring)."""
    return tuple(_line(r, zone, contacts.get(r.id, 0)) for r in sorted(requests, key=_id))


def _id(request: ReliefRequest) -> int:
    return request.id


def _line(request: ReliefRequest, zone: tzinfo, contacts: int) -> ReliefLine:
    locale = current()
    channels = channels_text(request.channels)
    if request.queues:
        channels += " · " + _("queues {queues}").format(queues=", ".join(request.queues))
    requested = _("{who}, {instant}").format(
        who=request.requested_by, instant=locale.instant(request.requested_at, zone)
    )
    evidence = (
        _("{file} (sha256 {digest})").format(
            file=request.evidence_name or "", digest=request.evidence_sha256
        )
        if request.evidence_sha256
        else _("none")
    )
    decision = request.decision
    return ReliefLine(
        request.id,
        request.status,
        _(STATUS_LABELS[request.status]),
        locale.interval(request.start.astimezone(zone), request.end.astimezone(zone)),
        channels,
        locale.decimal(request.hours, 2),
        request.reason,
        requested,
        evidence,
        _step_text(decision, zone) if decision else _("awaiting a decision"),
        _step_text(request.withdrawal, zone) if request.withdrawal else None,
        _contacts_text(request, contacts),
    )


def _step_text(step: ReliefStep, zone: tzinfo) -> str:
    words = {
        "approved": _("approved by {who}, {instant}"),
        "rejected": _("rejected by {who}, {instant}"),
        "withdrawn": _("withdrawn by {who}, {instant}"),
    }[step.kind]
    text = words.format(who=step.by, instant=current().instant(step.at, zone))
    return f"{text}: {step.note}" if step.note else text


def _contacts_text(request: ReliefRequest, contacts: int) -> str:
    count = format_count(contacts)
    if request.excludes:
        return _("{count} contacts excluded").format(count=count)
    if request.status == "pending":
        return _("{count} contacts would be excluded once approved").format(count=count)
    return _("nothing excluded ({count} contacts inside)").format(count=count)


def relief_summary(lines: Sequence[ReliefLine]) -> str:
    """`2 approved, 1 pending, 0 rejected` (withdrawn only when some are)."""
    counted = {key: sum(1 for line in lines if line.status_key == key) for key in STATUS_LABELS}
    parts = [
        f"{format_count(counted[key])} {_(STATUS_LABELS[key])}"
        for key in ("approved", "pending", "rejected", "withdrawn")
        if key != "withdrawn" or counted[key]
    ]
    return ", ".join(parts)


def relief_input_changes(old: Mapping[str, Any], new: Mapping[str, Any], zone: tzinfo) -> list[str]:
    """`changed input: relief request 3 approved by x (...)`, or withdrawn, between the input
    keys of two final results of a month."""
    before = {item["id"]: item for item in old.get("relief", ())}
    after = {item["id"]: item for item in new.get("relief", ())}
    lines = []
    for request_id in sorted(set(after) - set(before)):
        item = after[request_id]
        lines.append(
            _("changed input: relief request {id} approved by {who} ({start} to {end}, {channels})")
            .format(id=request_id, who=item.get("approved_by"), start=_iso(item["from"], zone),
                    end=_iso(item["to"], zone), channels=", ".join(item["channels"]))
        )  # fmt: skip
    for request_id in sorted(set(before) - set(after)):
        lines.append(
            _("changed input: relief request {id} no longer excludes contacts (withdrawn)").format(
                id=request_id
            )
        )
    return lines


def _iso(text: str, zone: tzinfo) -> str:
    from datetime import datetime

    return f"{datetime.fromisoformat(text).astimezone(zone):%Y-%m-%d %H:%M}"
