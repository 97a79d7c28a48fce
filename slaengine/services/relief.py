"""Use cases of relief requests (SPEC section 7): request, decide, withdraw, list, and the
approved relief that a month's evaluation reads.

Every refusal raises ReliefError (ContractNotFound for an unknown contract) before anything
is stored. A decision is never taken by the requester and is final; a withdrawal corrects a
mistake and is itself a step of the trail. Approving or withdrawing relief of a settled
month changes an input of its final result, so its next evaluation is a restatement
(`slaengine.services.evaluation` adds the month's approved relief to the contract's
exclusion events and to the final's input key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from slaengine.domain.contract.periods import Period
from slaengine.domain.evaluation.relief import (
    STATUSES,
    ReliefRequest,
    ReliefStep,
    StepKind,
    allowance_problem,
    deadline_problem,
    interval_problems,
    months_touched,
    relief_events,
)
from slaengine.errors import ContractNotFound, ReliefError

if TYPE_CHECKING:  # the pydantic models: `relief list` reads requests without them
    from slaengine.domain.contract.model import Contract

MAX_EVIDENCE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ReliefAsked:
    """What `request_relief` needs besides the engine and the clock."""

    contract_id: str
    start: datetime
    end: datetime
    channels: tuple[str, ...]
    queues: tuple[str, ...] | None
    reason: str
    by: str
    evidence: Path | None = None


def request_relief(engine: Engine, asked: ReliefAsked, *, now: datetime) -> ReliefRequest:
    """Record a pending request; raises ReliefError / ContractNotFound, storing nothing."""
    from slaengine.adapters.storage import relief_repo

    _require_aware(asked.start, "--from")
    _require_aware(asked.end, "--to")
    contract = _contract_at(engine, asked.contract_id, asked.start)
    problems = interval_problems(contract, asked.start, asked.end, asked.channels)
    if not asked.reason.strip() or not asked.by.strip():
        problems.append("--reason and --by must not be empty")
    if problems:
        raise ReliefError("relief request refused: " + "; ".join(problems))
    late = deadline_problem(contract, asked.end, now)
    if late:
        raise ReliefError("relief request refused: " + late)
    content, sha256 = _evidence(asked.evidence)
    request = ReliefRequest(
        0, contract.id, asked.start, asked.end, asked.channels, asked.queues,
        asked.reason.strip(), asked.by.strip(), now, sha256,
        asked.evidence.name if asked.evidence is not None else None,
    )  # fmt: skip
    approved = [r for r in relief_repo.requests(engine, contract.id) if r.excludes]
    beyond = allowance_problem(contract, approved, request)
    if beyond:
        raise ReliefError("relief request refused: " + beyond)
    path = relief_repo.copy_evidence(engine, content, sha256) if sha256 and content else None
    return relief_repo.insert_request(engine, request, path)


def _require_aware(instant: datetime, option: str) -> None:
    if instant.tzinfo is None:
        raise ReliefError(f"{option} {instant.isoformat()} has no UTC offset: add one (+01:00, Z)")


def _contract_at(engine: Engine, contract_id: str, instant: datetime) -> Contract:
    """The contract version in force on the local day of `instant`."""
    from slaengine.services.contracts import contract_in_force, contract_versions

    versions = contract_versions(engine, contract_id)
    if not versions:
        return contract_in_force(engine, contract_id, instant.date()).contract  # raises
    zone = versions[0].contract.zone
    return contract_in_force(engine, contract_id, instant.astimezone(zone).date()).contract


def _evidence(path: Path | None) -> tuple[bytes | None, str | None]:
    if path is None:
        return None, None
    try:
        if path.stat().st_size > MAX_EVIDENCE_BYTES:
            raise ReliefError(
                f"evidence file {path} is larger than {MAX_EVIDENCE_BYTES // 1024 // 1024} MB"
            )
        content = path.read_bytes()
    except OSError as error:
        raise ReliefError(f"cannot read evidence file {path}: {error.strerror}") from None
    return content, hashlib.sha256(content).hexdigest()


def decide_relief(
    engine: Engine, request_id: int, kind: StepKind, by: str, note: str, *, now: datetime
) -> ReliefRequest:
    """Approve, reject or withdraw a request; returns it with its new trail.

    Raises ReliefError: no such request, the requester deciding, already decided (a
    decision is final), already withdrawn, an empty note where one is required, or an
    approval beyond the contract's monthly allowance.
    """
    from slaengine.adapters.storage import relief_repo

    by, note = by.strip(), note.strip()
    if not by:
        raise ReliefError("--by must not be empty")
    if kind != "approved" and not note:
        raise ReliefError(f"a {_verb(kind)} needs --note saying why")
    contract_id = relief_repo.request_contract(engine, request_id)
    if contract_id is None:
        raise ReliefError(f"no relief request {request_id} (see `slaengine relief list`)")

    # read before the decision lock: on SQLite a second connection would wait for it
    contract = _contract_at(engine, contract_id, _one(engine, request_id).start)

    def check(request: ReliefRequest, others: list[ReliefRequest]) -> None:
        _check_step(contract, request, others, kind, by)

    step = ReliefStep(kind, by, now, note)
    try:
        relief_repo.decide(engine, contract_id, request_id, check, step)
    except relief_repo.StepTaken:
        current = _one(engine, request_id)
        raise ReliefError(_already(current, kind)) from None
    return _one(engine, request_id)


def _check_step(
    contract: Contract,
    request: ReliefRequest,
    others: list[ReliefRequest],
    kind: StepKind,
    by: str,
) -> None:
    if kind == "withdrawn":
        if request.withdrawal is not None:
            raise ReliefError(_already(request, kind))
        return
    if by == request.requested_by:
        raise ReliefError(
            f"relief request {request.id} was made by {request.requested_by}: someone else"
            " must approve or reject it (four eyes)"
        )
    if request.status != "pending":
        raise ReliefError(_already(request, kind))
    if kind == "approved":
        beyond = allowance_problem(contract, [r for r in others if r.excludes], request)
        if beyond:
            raise ReliefError(f"approval of relief request {request.id} refused: {beyond}")


def _already(request: ReliefRequest, kind: StepKind) -> str:
    step = request.withdrawal if kind == "withdrawn" else request.decision
    if step is None:  # withdrawn while pending: nothing left to decide
        step = request.withdrawal
    assert step is not None
    return (
        f"relief request {request.id} was already {step.kind} by {step.by} on"
        f" {step.at:%Y-%m-%d %H:%M} UTC; a decision is final"
        + (" (withdraw it with `slaengine relief withdraw` to correct a mistake)"
           if step.kind != "withdrawn" else "")
    )  # fmt: skip


def _verb(kind: StepKind) -> str:
    return {"approved": "approval", "rejected": "rejection", "withdrawn": "withdrawal"}[kind]


def _one(engine: Engine, request_id: int) -> ReliefRequest:
    from slaengine.adapters.storage import relief_repo

    contract_id = relief_repo.request_contract(engine, request_id)
    found = [r for r in relief_repo.requests(engine, contract_id) if r.id == request_id]
    if not found:
        raise ReliefError(f"no relief request {request_id}")
    return found[0]


def list_relief(
    engine: Engine,
    contract_id: str | None = None,
    *,
    period: str | None = None,
    status: str | None = None,
) -> list[ReliefRequest]:
    """Requests (of a contract), those overlapping the local month `period`, of a status."""
    from slaengine.adapters.storage import relief_repo

    if status is not None and status not in STATUSES:
        raise ReliefError(f"expected a status among {', '.join(STATUSES)}, found {status!r}")
    if contract_id is not None:
        from slaengine.adapters.storage.contract_repo import version_records

        if not version_records(engine, contract_id):
            raise ContractNotFound(f"no contract {contract_id!r} is stored")
    found = relief_repo.requests(engine, contract_id)
    if period is not None:
        found = [r for r in found if _in_period(engine, r, period)]
    if status is not None:
        found = [r for r in found if r.status == status]
    return found


def _in_period(engine: Engine, request: ReliefRequest, period: str) -> bool:
    try:
        contract = _contract_at(engine, request.contract_id, request.start)
    except ContractNotFound:
        return False
    return any(
        month.name == period for month in months_touched(contract, request.start, request.end)
    )


def month_relief(engine: Engine, contract: Contract, period: str) -> list[ReliefRequest]:
    """Every request of the contract overlapping the local month, whatever its status."""
    from slaengine.adapters.storage import relief_repo

    month = Period.of(period, contract)
    return [
        r for r in relief_repo.requests(engine, contract.id) if r.overlaps(month.start, month.stop)
    ]


def with_relief(contract: Contract, requests: Sequence[ReliefRequest], period: str) -> Contract:
    """The contract whose exclusion events also hold the month's approved relief (the
    contract itself when there is none): relief excludes contacts exactly as an event."""
    events = relief_events(requests, Period.of(period, contract))
    if not events:
        return contract
    from slaengine.domain.contract.model import Exclusions

    exclusions = contract.exclusions or Exclusions()
    widened = exclusions.model_copy(update={"events": (*exclusions.events, *events)})
    return contract.model_copy(update={"exclusions": widened})


def pending_relief(engine: Engine, contract_id: str | None = None) -> list[ReliefRequest]:
    """Requests awaiting a decision."""
    return list_relief(engine, contract_id, status="pending")


def relief_contacts(
    engine: Engine, contract: Contract, period: str, requests: Sequence[ReliefRequest]
) -> dict[int, int]:
    """Per request, the stored contacts of the month arriving inside it (of its channels and
    queues), from the contacts feed, else the intervals' offered contacts."""
    import polars as pl

    from slaengine.adapters.storage import feed_repo

    month = Period.of(period, contract)
    found: dict[int, int] = {}
    for request in requests:
        start, stop = max(request.start, month.start), min(request.end, month.stop)
        if start >= stop:
            found[request.id] = 0
            continue
        wanted = pl.col("channel").is_in(list(request.channels))
        if request.queues is not None:
            wanted = wanted & pl.col("queue").is_in(list(request.queues))
        rows = feed_repo.contacts_frame(engine, contract.id, start, stop, ["channel", "queue"])
        count = rows.filter(wanted).height if rows.height else 0
        if not rows.height:
            intervals = feed_repo.intervals_frame(engine, contract.id, start, stop)
            if intervals.height:
                count = int(intervals.filter(wanted).get_column("offered").sum())
        found[request.id] = count
    return found


def pending_by_contract(engine: Engine, contract_ids: Sequence[str]) -> dict[str, int]:
    """Pending requests per contract id (any month), for the portfolio."""
    from slaengine.adapters.storage import relief_repo

    counted: dict[str, int] = {}
    for request in relief_repo.requests(engine):
        if request.status == "pending" and request.contract_id in contract_ids:
            counted[request.contract_id] = counted.get(request.contract_id, 0) + 1
    return counted


def pending_alerts(
    engine: Engine, contract: Contract, as_of: datetime
) -> list[tuple[str, dict[str, object]]]:
    """(delivery key, JSON payload) of each `relief_pending` webhook event due at `as_of`:
    one per pending request that has waited two business days, keyed by request (sent once)."""
    from slaengine.adapters.storage import relief_repo
    from slaengine.domain.evaluation.relief import overdue_pending

    requests = relief_repo.requests(engine, contract.id)
    return [
        (
            f"webhook:relief_pending:{request.id}",
            {
                "event": "relief_pending",
                "contract": contract.id,
                "contract_version": contract.version,
                "provider": contract.provider.id,
                "request": request.id,
                "from": request.start.astimezone(UTC).isoformat(),
                "to": request.end.astimezone(UTC).isoformat(),
                "channels": list(request.channels),
                "queues": None if request.queues is None else list(request.queues),
                "hours": str(request.hours),
                "reason": request.reason,
                "requested_by": request.requested_by,
                "requested_at": request.requested_at.astimezone(UTC).isoformat(),
                "business_days_waiting": waiting,
                "as_of": as_of.astimezone(UTC).isoformat(),
            },
        )
        for request, waiting in overdue_pending(requests, as_of, contract)
    ]
