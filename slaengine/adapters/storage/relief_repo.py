"""Relief requests in the SQL catalogue: insert a request, insert a step, read the trails.

Rows are never updated or deleted. Decisions of one contract are serialised (SQLite: every
transaction takes the write lock, BEGIN IMMEDIATE; PostgreSQL: a transaction advisory lock
per contract), so the allowance check and the insert see the same approved relief; the
unique (request_id, slot) is the last word when two processes decide one request at once.
Evidence files are copied under the data location as `evidence/<sha256>` (content-addressed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from slaengine.adapters.storage.views import RELIEF_REQUEST, RELIEF_STEP
from slaengine.domain.evaluation.relief import ReliefRequest, ReliefStep

SLOTS = {"approved": "decision", "rejected": "decision", "withdrawn": "withdrawal"}

Result = TypeVar("Result")


def __getattr__(name: str) -> Table:
    """REQUEST and STEP: `_model_table`, on first use."""
    return _model_table(name)


def _model_table(name: str) -> Table:
    """REQUEST or STEP, the tables of the models, imported by the writes only (reads go
    through the light views, so that `relief list` imports neither SQLModel nor the ORM).
    Any other name is an AttributeError, the models not imported (`hasattr` probes)."""
    if name not in ("REQUEST", "STEP"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from slaengine.adapters.storage.relief_tables import ReliefRequestRow, ReliefStepRow

    model: Any = ReliefRequestRow if name == "REQUEST" else ReliefStepRow
    table: Table = model.__table__
    return table


class StepTaken(Exception):
    """The slot of that step was filled by another process first (the unique key said so)."""


def copy_evidence(engine: Engine, content: bytes, sha256: str) -> str:
    """Store the evidence bytes under the data location; returns the relative path."""
    from slaengine.adapters.columnar.location import open_store

    store = open_store(engine)
    relative = f"evidence/{sha256}"
    target = store.full(relative)
    if not store.fs.exists(target):
        store.fs.makedirs(store.full("evidence"), exist_ok=True)
        store.fs.pipe_file(target, content)
    return relative


def insert_request(
    engine: Engine, request: ReliefRequest, evidence_path: str | None
) -> ReliefRequest:
    """Store a new request; returns it with its id."""
    values = {
        "contract_id": request.contract_id,
        "starts_at": request.start.astimezone(UTC),
        "ends_at": request.end.astimezone(UTC),
        "channels": ",".join(request.channels),
        "queues": None if request.queues is None else json.dumps(list(request.queues)),
        "reason": request.reason,
        "requested_by": request.requested_by,
        "requested_at": request.requested_at.astimezone(UTC),
        "evidence_sha256": request.evidence_sha256,
        "evidence_name": request.evidence_name,
        "evidence_path": evidence_path,
    }
    with engine.begin() as connection:
        key = connection.execute(
            insert(_model_table("REQUEST")).values(**values)
        ).inserted_primary_key
        assert key is not None
        new_id = key[0]
    return _with_id(request, int(new_id))


def _with_id(request: ReliefRequest, new_id: int) -> ReliefRequest:
    from dataclasses import replace

    return replace(request, id=new_id)


def decide(
    engine: Engine,
    contract_id: str,
    request_id: int,
    check: Callable[[ReliefRequest, list[ReliefRequest]], Result],
    step: ReliefStep,
) -> Result:
    """Insert `step` for the request under the contract's decision lock.

    `check(request, others)` sees the request and the contract's other requests as they
    stand inside the lock and raises to refuse (nothing stored); its result is returned.
    Raises StepTaken when another process filled the slot first.
    """
    try:
        with engine.begin() as connection:
            _lock(connection, contract_id)
            requests = _read(connection, contract_id=contract_id)
            mine = next(r for r in requests if r.id == request_id)
            result = check(mine, [r for r in requests if r.id != request_id])
            connection.execute(
                insert(_model_table("STEP")).values(
                    request_id=request_id,
                    slot=SLOTS[step.kind],
                    kind=step.kind,
                    by=step.by,
                    at=step.at.astimezone(UTC),
                    note=step.note,
                )
            )
    except IntegrityError:
        raise StepTaken(request_id) from None
    return result


def _lock(connection: Connection, contract_id: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"relief:{contract_id}"}
        )


def request_contract(engine: Engine, request_id: int) -> str | None:
    """The contract id of a request (None: no such request)."""
    with engine.connect() as connection:
        found = connection.execute(
            select(RELIEF_REQUEST.c.contract_id).where(RELIEF_REQUEST.c.id == request_id)
        ).scalar_one_or_none()
    return None if found is None else str(found)


def has_requests(engine: Engine, contract_id: str) -> bool:
    """Whether any relief was ever requested for the contract (whatever its status)."""
    request = RELIEF_REQUEST
    query = select(request.c.id).where(request.c.contract_id == contract_id).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def requests(engine: Engine, contract_id: str | None = None) -> list[ReliefRequest]:
    """Every request (of one contract), with its trail, by id."""
    with engine.connect() as connection:
        return _read(connection, contract_id=contract_id)


def _read(connection: Connection, *, contract_id: str | None) -> list[ReliefRequest]:
    request, step = RELIEF_REQUEST, RELIEF_STEP
    query = select(*request.c).order_by(request.c.id)
    steps_query = select(*step.c).order_by(step.c.id)
    if contract_id is not None:
        query = query.where(request.c.contract_id == contract_id)
        steps_query = steps_query.where(
            step.c.request_id.in_(select(request.c.id).where(request.c.contract_id == contract_id))
        )
    trails: dict[int, list[ReliefStep]] = {}
    for row in connection.execute(steps_query).mappings():
        trails.setdefault(int(row["request_id"]), []).append(
            ReliefStep(row["kind"], row["by"], _aware(row["at"]), row["note"])
        )
    return [
        _request(row, trails.get(int(row["id"]), []))
        for row in connection.execute(query).mappings()
    ]


def _request(row: object, steps: Sequence[ReliefStep]) -> ReliefRequest:
    values = dict(row)  # type: ignore[call-overload]
    queues = values["queues"]
    return ReliefRequest(
        id=int(values["id"]),
        contract_id=values["contract_id"],
        start=_aware(values["starts_at"]),
        end=_aware(values["ends_at"]),
        channels=tuple(values["channels"].split(",")),
        queues=None if queues is None else tuple(json.loads(queues)),
        reason=values["reason"],
        requested_by=values["requested_by"],
        requested_at=_aware(values["requested_at"]),
        evidence_sha256=values["evidence_sha256"],
        evidence_name=values["evidence_name"],
        steps=tuple(steps),
    )


def _aware(instant: datetime) -> datetime:
    """SQLite gives naive UTC back; PostgreSQL gives aware instants."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
