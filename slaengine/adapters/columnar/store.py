"""Writing a feed file's rows as Parquet parts and superseding older rows at ingest.

A part holds the rows of one feed file for one provider and UTC month, sorted by time. When a
new file repeats keys already stored (contacts: provider and contact_id; intervals: contract,
channel, queue and start), each stored part holding such keys is rewritten without them
(copy-on-write) and its registry row replaced, so that reads never de-duplicate. Contact rows
whose values changed are kept as `history` parts with the replacing file and time.

Everything here runs inside the caller's SQL transaction: parts are written first (whole or
not at all), registered by that transaction, and removed again by the caller if it rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote
from uuid import uuid4

import polars as pl
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection

from slaengine.adapters.columnar.location import DataStore
from slaengine.adapters.columnar.tables import ColumnarPartRow
from slaengine.adapters.feeds.schemas import CONTACTS, INTERVALS
from slaengine.errors import StorageError

PART: Table = ColumnarPartRow.__table__  # type: ignore[attr-defined]
UTC_US = pl.Datetime("us", "UTC")

CONTACT_PART: dict[str, pl.DataType] = {
    "contract_id": pl.String(),
    **dict(CONTACTS.stored),
    "file_id": pl.Int64(),
    "line": pl.Int64(),
}
HISTORY_PART: dict[str, pl.DataType] = {
    **CONTACT_PART,
    "replaced_by_file_id": pl.Int64(),
    "replaced_at": UTC_US,
}
INTERVAL_PART: dict[str, pl.DataType] = {
    "contract_id": pl.String(),
    **dict(INTERVALS.stored),
    "file_id": pl.Int64(),
    "line": pl.Int64(),
}


@dataclass(frozen=True)
class PartKind:
    """How one kind of rows is laid out and keyed."""

    name: str
    time: str
    key: tuple[str, ...]
    schema: dict[str, pl.DataType]
    scope: str  # the registry column a key is unique within: provider_id | contract_id

    @property
    def values(self) -> list[str]:
        """The columns compared to tell a restatement from the same row sent again."""
        return [n for n in self.schema if n not in self.key and n not in ("file_id", "line")]


CONTACT_KIND = PartKind("contacts", "arrived_at", ("contact_id",), CONTACT_PART, "provider_id")
HISTORY_KIND = PartKind("history", "arrived_at", ("contact_id",), HISTORY_PART, "provider_id")
INTERVAL_KIND = PartKind(
    "intervals", "interval_start", ("channel", "queue", "interval_start"), INTERVAL_PART,
    "contract_id",
)  # fmt: skip
KINDS = {kind.name: kind for kind in (CONTACT_KIND, HISTORY_KIND, INTERVAL_KIND)}


@dataclass(frozen=True)
class Owner:
    """The feed file being stored."""

    contract_id: str
    provider_id: str
    file_id: int
    received_at: datetime


@dataclass
class Changes:
    """Files written by a store (removed if it rolls back) and files it retired (removed after
    it commits)."""

    written: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def part_frame(kind: PartKind, owner: Owner, valid: pl.DataFrame) -> pl.DataFrame:
    """The validated rows (typed columns and `_line`) as a part's columns."""
    frame = valid.with_columns(
        pl.lit(owner.contract_id).alias("contract_id"),
        pl.lit(owner.file_id).alias("file_id"),
        pl.col("_line").alias("line"),
    )
    return frame.select(pl.col(name).cast(dtype) for name, dtype in kind.schema.items())


def store_parts(
    connection: Connection, store: DataStore, kind: PartKind, owner: Owner, valid: pl.DataFrame,
    changes: Changes,
) -> int:  # fmt: skip
    """Supersede stored rows sharing keys with the file, then write the file's parts; returns
    how many stored rows changed (restated)."""
    frame = part_frame(kind, owner, valid)
    if frame.height == 0:
        return 0
    restated = _supersede(connection, store, kind, owner, frame, changes)
    write_parts(connection, store, kind, owner.contract_id, owner.provider_id, owner.file_id,
                frame, changes)  # fmt: skip
    return restated


def month_of(time: str) -> pl.Expr:
    return pl.col(time).dt.strftime("%Y-%m")


def write_parts(
    connection: Connection, store: DataStore, kind: PartKind, contract_id: str, provider_id: str,
    file_id: int, frame: pl.DataFrame, changes: Changes,
) -> None:  # fmt: skip
    """One registered part per UTC month of the frame."""
    months = frame.with_columns(month_of(kind.time).alias("_month"))
    for (month,), part in sorted(months.partition_by("_month", as_dict=True).items()):
        rows = part.drop("_month").sort(kind.time, *kind.key)
        name = f"part-{file_id:08d}-{uuid4().hex[:12]}.parquet"
        relative = f"{kind.name}/provider={quote(provider_id, safe='')}/month={month}/{name}"
        store.write(relative, rows)
        changes.written.append(relative)
        times = rows.get_column(kind.time).dt.epoch("us")
        connection.execute(
            insert(PART).values(
                kind=kind.name, contract_id=contract_id, provider_id=provider_id,
                month=str(month), file_id=file_id, path=relative, rows=rows.height,
                first_us=int(times.min()), last_us=int(times.max()),  # type: ignore[arg-type]
            )
        )  # fmt: skip


def _candidates(
    connection: Connection, kind: PartKind, owner: Owner, frame: pl.DataFrame
) -> list[tuple[int, str, str, str, int]]:
    scope = owner.provider_id if kind.scope == "provider_id" else owner.contract_id
    query = select(PART.c.id, PART.c.path, PART.c.contract_id, PART.c.provider_id, PART.c.file_id)
    query = query.where(PART.c.kind == kind.name, PART.c[kind.scope] == scope)
    if kind.scope == "contract_id":  # the key holds the time: only the file's months can match
        months = frame.select(month_of(kind.time).unique()).to_series().to_list()
        query = query.where(PART.c.month.in_(sorted(months)))
    rows = connection.execute(query.order_by(PART.c.id)).all()
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4])) for r in rows]


def _supersede(
    connection: Connection, store: DataStore, kind: PartKind, owner: Owner, frame: pl.DataFrame,
    changes: Changes,
) -> int:  # fmt: skip
    candidates = _candidates(connection, kind, owner, frame)
    if not candidates:  # nothing stored in scope yet: no key to compare
        return 0
    keys = frame.select(kind.key).unique()
    key = list(kind.key)
    restated, replaced = 0, []
    for part_id, path, contract_id, provider_id, file_id in candidates:
        scanned = store.scan([path], kind.schema)
        hit = scanned.select(key).join(keys.lazy(), on=key, how="semi").head(1).collect()
        if hit.height == 0:
            continue
        old = scanned.collect()
        kept = old.join(keys, on=key, how="anti")
        removed = old.join(keys, on=key, how="semi")
        compared = removed.join(frame.select(*key, *kind.values), on=key, suffix="_new")
        differs = pl.any_horizontal(pl.col(n).ne_missing(pl.col(f"{n}_new")) for n in kind.values)
        changed = compared.filter(differs).select(old.columns)
        restated += changed.height
        if changed.height:
            replaced.append(changed)
        gone = connection.execute(delete(PART).where(PART.c.id == part_id)).rowcount
        if gone != 1:
            raise StorageError(
                "another ingestion changed the stored rows of this provider at the same time;"
                " ingest the file again"
            )
        changes.retired.append(path)
        if kept.height:
            write_parts(connection, store, kind, contract_id, provider_id, file_id, kept, changes)
    if kind is CONTACT_KIND and replaced:
        _write_history(connection, store, owner, pl.concat(replaced, how="vertical"), changes)
    return restated


def _write_history(
    connection: Connection, store: DataStore, owner: Owner, rows: pl.DataFrame, changes: Changes
) -> None:
    history = rows.with_columns(
        pl.lit(owner.file_id, pl.Int64).alias("replaced_by_file_id"),
        pl.lit(owner.received_at).cast(UTC_US).alias("replaced_at"),
    )
    for (contract_id,), group in sorted(history.partition_by("contract_id", as_dict=True).items()):
        write_parts(
            connection, store, HISTORY_KIND, str(contract_id), owner.provider_id, owner.file_id,
            group, changes,
        )  # fmt: skip
