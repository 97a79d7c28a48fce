"""Evaluation inputs computed once per fingerprint of what they depend on, then reused.

A month's daily counts per objective (with the excluded days, provider-reported figures and
costs gathered beside them) depend on: the contract version (its whole text), the period, the
stored rows (named exactly by the registered parts overlapping the month: a part is never
changed in place, any restatement registers new ones), the cost and forecast files, and
`as_of` while response deadlines of the month can still fall due. A re-evaluation, a report or
a benchmark of a stored month then costs a registry query and one row read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

import slaengine
from slaengine.adapters.columnar.store import PART
from slaengine.adapters.columnar.tables import EvaluationInputCacheRow
from slaengine.adapters.storage.feed_repo import us_of
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.kpis import Counts
from slaengine.domain.evaluation.results import ExcludedDay

CACHE: Table = EvaluationInputCacheRow.__table__  # type: ignore[attr-defined]
FORMAT = 1
# After this long past the month's end every response deadline of its contacts has passed,
# so as_of no longer changes the counts (deadlines are hours or days of business time).
SETTLED = timedelta(days=62)

T = TypeVar("T")


def inputs_key(
    engine: Engine, contract: Contract, period: str, start: datetime, stop: datetime,
    as_of: datetime, *, tally_as_of: datetime | None = None,
) -> str:  # fmt: skip
    """The fingerprint of everything a month's evaluation inputs depend on.

    `as_of` cuts the contacts that had arrived; `tally_as_of` (default `as_of`) decides which
    response deadlines have passed (a final result tallies just after its settlement instant).
    """
    tally_as_of = as_of if tally_as_of is None else tally_as_of
    start_us, stop_us = us_of(start), us_of(stop)
    parts = (
        select(PART.c.path)
        .where(
            PART.c.kind.in_(("contacts", "intervals")),
            PART.c.contract_id == contract.id,
            PART.c.first_us < stop_us,
            PART.c.last_us >= start_us,
        )
        .order_by(PART.c.path)
    )
    from slaengine.adapters.storage.feed_store import FEED_FILE

    others = (
        select(FEED_FILE.c.id, FEED_FILE.c.sha256)
        .where(FEED_FILE.c.contract_id == contract.id, FEED_FILE.c.kind.in_(("costs", "forecasts")))
        .order_by(FEED_FILE.c.id)
    )
    with engine.connect() as connection:
        paths = [str(path) for (path,) in connection.execute(parts)]
        files = [f"{i}:{sha}" for i, sha in connection.execute(others)]
    moment = (
        "settled"
        if min(as_of, tally_as_of) >= stop + SETTLED
        else [as_of.astimezone(UTC).isoformat(), tally_as_of.astimezone(UTC).isoformat()]
    )
    text = json.dumps([
        FORMAT, slaengine.__version__, contract.model_dump_json(by_alias=True), period,
        start.isoformat(), stop.isoformat(), moment, paths, files,
    ])  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def cached(
    engine: Engine, key: str, contract_id: str, period: str, kind: type[T],
    compute: Callable[[], T],
) -> T:  # fmt: skip
    """The inputs stored under `key`, else `compute()` stored under it (the month's older
    entries dropped). `kind` is the inputs dataclass; its fields are encoded as JSON."""
    with engine.connect() as connection:
        payload = connection.execute(select(CACHE.c.payload).where(CACHE.c.key == key)).scalar()
    if payload is not None:
        try:
            return kind(**_decoded(json.loads(payload)))
        except (TypeError, KeyError, ValueError):  # written for other fields: compute again
            pass
    inputs = compute()
    values = {f.name: getattr(inputs, f.name) for f in fields(kind)}  # type: ignore[arg-type]
    try:
        text = json.dumps(_encoded(values))
    except (TypeError, KeyError):  # a field this module cannot encode: no cache, same result
        return inputs
    row = {
        "key": key, "contract_id": contract_id, "period": period,
        "created_at_us": us_of(datetime.now(UTC)), "payload": text,
    }  # fmt: skip
    try:
        with engine.begin() as connection:
            mine = (CACHE.c.contract_id == contract_id) & (CACHE.c.period == period)
            connection.execute(delete(CACHE).where(mine))
            connection.execute(insert(CACHE).values(row))
    except IntegrityError:  # a concurrent evaluation stored the same inputs first
        pass
    return inputs


def _encoded(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["daily"] = {
        objective: [[day.isoformat(), _counts_json(counts)] for day, counts in sorted(days.items())]
        for objective, days in values["daily"].items()
    }
    out["costs"] = {objective: str(amount) for objective, amount in values["costs"].items()}
    out["excluded_days"] = [
        asdict(item) | {"day": item.day.isoformat()} for item in values["excluded_days"]
    ]
    out["hashes"] = list(values["hashes"])
    return out


def _decoded(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["daily"] = {
        objective: {date.fromisoformat(day): _counts(counts) for day, counts in days}
        for objective, days in values["daily"].items()
    }
    out["costs"] = {objective: Decimal(amount) for objective, amount in values["costs"].items()}
    out["excluded_days"] = tuple(
        ExcludedDay(**(item | {"day": date.fromisoformat(item["day"])}))
        for item in values["excluded_days"]
    )
    out["hashes"] = tuple(values["hashes"])
    return out


_DECIMAL_COUNTS = {item.name for item in fields(Counts) if isinstance(item.default, Decimal)}


_COUNT_NAMES = tuple(item.name for item in fields(Counts))


def _counts_json(counts: Counts) -> dict[str, Any]:
    # getattr, not asdict: asdict deep-copies every value (a month has hundreds of Counts)
    values = ((name, getattr(counts, name)) for name in _COUNT_NAMES)
    return {name: str(v) if name in _DECIMAL_COUNTS else v for name, v in values}


def _counts(values: dict[str, Any]) -> Counts:
    typed: dict[str, Any] = {
        name: Decimal(v) if name in _DECIMAL_COUNTS else v for name, v in values.items()
    }
    return Counts(**typed)
