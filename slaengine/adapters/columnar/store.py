"""Writing a feed file's rows as Parquet parts and superseding older rows at ingest.

A part holds the rows of one feed file for one provider and UTC month, sorted by time. When a
new file repeats keys already stored (contacts: provider and contact_id; intervals: contract,
channel, queue and start), each stored part holding such keys is rewritten without them
(copy-on-write) and its registry row replaced, so that reads never de-duplicate. Contact rows
whose values changed are kept as `history` parts with the replacing file and time.

Everything here runs inside the caller's SQL transaction: parts are written first (whole or
not at all), registered by that transaction, and removed again by the caller if it rolls back.
A feed file's rows arrive batch by batch (`PartWriter`) and stored parts are rewritten by lazy
scans sunk to new files, so memory is bounded by a batch and the file's keys, not the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from uuid import uuid4

import polars as pl
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection

from slaengine.adapters.columnar.location import DataStore, Part
from slaengine.adapters.columnar.tables import ColumnarPartRow
from slaengine.adapters.feeds.schemas import CONTACTS, INTERVALS
from slaengine.errors import StorageError

if TYPE_CHECKING:  # pyarrow's writer: imported by the ingest, not by the commands that read
    import pyarrow.parquet as pq

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


def month_of(time: str) -> pl.Expr:
    return pl.col(time).dt.strftime("%Y-%m")


def _part_path(kind: PartKind, provider_id: str, month: str, file_id: int) -> str:
    name = f"part-{file_id:08d}-{uuid4().hex[:12]}.parquet"
    return f"{kind.name}/provider={quote(provider_id, safe='')}/month={month}/{name}"


def register(
    connection: Connection, kind: PartKind, contract_id: str, provider_id: str, file_id: int,
    part: Part,
) -> None:  # fmt: skip
    connection.execute(
        insert(PART).values(
            kind=kind.name, contract_id=contract_id, provider_id=provider_id, month=part.month,
            file_id=file_id, path=part.path, rows=part.rows, first_us=part.first_us,
            last_us=part.last_us,
        )
    )  # fmt: skip


def write_parts(
    connection: Connection, store: DataStore, kind: PartKind, contract_id: str, provider_id: str,
    file_id: int, frame: pl.DataFrame, changes: Changes,
) -> None:  # fmt: skip
    """One registered part per UTC month of the frame (a frame held in memory)."""
    months = frame.with_columns(month_of(kind.time).alias("_month"))
    for (month,), part in sorted(months.partition_by("_month", as_dict=True).items()):
        rows = part.drop("_month").sort(kind.time, *kind.key)
        relative = _part_path(kind, provider_id, str(month), file_id)
        store.write(relative, rows)
        changes.written.append(relative)
        times = rows.get_column(kind.time).dt.epoch("us")
        first, last = int(times.min()), int(times.max())  # type: ignore[arg-type]
        register(connection, kind, contract_id, provider_id, file_id,
                 Part(relative, str(month), rows.height, first, last))  # fmt: skip


# Columns with few distinct values: dictionary-encoded (trying it on ids and instants only
# costs time: they fall back to plain encoding). Instants and line numbers, which grow row
# after row in a file sent in time order: delta-encoded (a contacts part a third smaller, and
# written faster, since zstd then has less to compress).
_DICTIONARY = ("contract_id", "channel", "queue", "csat", "nps", "interval_minutes", "file_id")
_DELTA = ("arrived_at", "answered_at", "abandoned_at", "interval_start", "line")
# Row-group statistics (min/max) only where a reader can skip by them: the part's contract and
# file, and the instants (rows sent in time order give row groups in time order). A batch holds
# every channel, queue and score, so their min/max would skip nothing, and taking them cost a
# third of the write (a comparison a value).
_STATISTICS = (
    "contract_id", "file_id", "replaced_by_file_id", "arrived_at", "answered_at", "abandoned_at",
    "replaced_at", "interval_start",
)  # fmt: skip
# One data page per column of a row group (a batch of ~210,000 rows): readers read column
# chunks whole, and each page costs its header, its statistics and a compression call.
_PAGE_BYTES = 8 << 20


class PartWriter:
    """The rows of one feed file, written batch by batch: one part per UTC month, each batch a
    row group sorted by time and key (files sent in time order give parts sorted throughout).

    Memory holds one batch and the open writers' buffers.
    At most `MAX_OPEN` months are open at once; a file spread over more months gets several
    parts for some of them. Nothing is registered here: `finish` closes the files and returns
    the parts, `abort` removes what was written.
    """

    MAX_OPEN = 8

    def __init__(self, store: DataStore, kind: PartKind, owner: Owner, changes: Changes) -> None:
        self.store, self.kind, self.owner, self.changes = store, kind, owner, changes
        self._open: dict[str, _OpenPart] = {}
        self.parts: list[Part] = []

    def add(self, valid: pl.DataFrame) -> None:
        """Append validated rows (typed columns and `_line`)."""
        if valid.height == 0:
            return
        frame = part_frame(self.kind, self.owner, valid)
        single = _single_month(frame.get_column(self.kind.time))
        if single is not None:  # the usual batch: no month written out per row
            self._writer(single).write(_sorted(frame, self.kind))
            return
        months = frame.with_columns(month_of(self.kind.time).alias("_month"))
        for (month,), part in sorted(months.partition_by("_month", as_dict=True).items()):
            rows = part.drop("_month").sort(self.kind.time, *self.kind.key)
            self._writer(str(month)).write(rows)

    def _writer(self, month: str) -> _OpenPart:
        found = self._open.pop(month, None)
        if found is None:
            if len(self._open) >= self.MAX_OPEN:  # the least recently written month
                oldest = next(iter(self._open))
                self.parts.append(self._open.pop(oldest).close())
            relative = _part_path(self.kind, self.owner.provider_id, month, self.owner.file_id)
            found = _OpenPart(self.store, relative, month, self.kind)
            self.changes.written.append(relative)
        self._open[month] = found  # most recent last
        return found

    def finish(self) -> list[Part]:
        """Close every open part; the parts written, in month order."""
        while self._open:
            self.parts.append(self._open.pop(next(iter(self._open))).close())
        return sorted(self.parts, key=lambda part: (part.month, part.path))

    def abort(self) -> None:
        """Close and remove the parts still open (the caller removes `changes.written`)."""
        for part in self._open.values():
            part.discard()
        self._open.clear()

    def reset(self) -> None:
        """Remove everything written so far and start again empty."""
        self.abort()
        finished = {part.path for part in self.parts}
        self.store.remove(sorted(finished))
        self.changes.written[:] = [p for p in self.changes.written if p not in finished]
        self.parts = []


def _single_month(times: pl.Series) -> str | None:
    """The UTC month ("YYYY-MM") of every instant of `times` when its earliest and latest share
    one (two reductions instead of a month formatted for each row), else None."""
    bounds = times.to_frame().select(pl.all().min().alias("first"), pl.all().max().alias("last"))
    months = bounds.select(month_of("first"), month_of("last")).row(0)
    return str(months[0]) if months[0] == months[1] and months[0] is not None else None


def _sorted(rows: pl.DataFrame, kind: PartKind) -> pl.DataFrame:
    """The rows by time and key; a batch already in strictly increasing time (a file sent in
    time order) is kept as it is."""
    times = rows.get_column(kind.time).to_physical()
    steps = times.diff().drop_nulls()
    if times.null_count() == 0 and (steps.len() == 0 or steps.min() > 0):  # type: ignore[operator]
        return rows
    return rows.sort(kind.time, *kind.key)


class _OpenPart:
    """A Parquet file being written row group by row group (local: a temporary name renamed
    when closed; object store: a local temporary file uploaded in one PUT when closed)."""

    def __init__(self, store: DataStore, relative: str, month: str, kind: PartKind) -> None:
        self.store, self.relative, self.month, self.kind = store, relative, month, kind
        self.temporary = store.temporary(relative)
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0
        self.first_us: int | None = None
        self.last_us: int | None = None

    def write(self, rows: pl.DataFrame) -> None:
        if rows.height == 0:
            return
        # text as Arrow's string views, as polars holds it (the usual large strings would be
        # a copy of every value); written as Parquet's plain UTF-8 byte arrays all the same
        table = rows.to_arrow(compat_level=pl.CompatLevel.newest())
        if self.writer is None:
            import pyarrow.parquet as pq

            self.writer = pq.ParquetWriter(
                self.temporary, table.schema, compression="zstd",
                use_dictionary=[n for n in _DICTIONARY if n in table.column_names],
                column_encoding={
                    n: "DELTA_BINARY_PACKED" for n in _DELTA if n in table.column_names
                },
                write_statistics=[n for n in table.column_names if n in _STATISTICS],
                data_page_size=_PAGE_BYTES,
            )  # fmt: skip
        self.writer.write_table(table)
        times = rows.get_column(self.kind.time).dt.epoch("us")
        first, last = int(times.min()), int(times.max())  # type: ignore[arg-type]
        self.first_us = first if self.first_us is None else min(self.first_us, first)
        self.last_us = last if self.last_us is None else max(self.last_us, last)
        self.rows += rows.height

    def close(self) -> Part:
        assert self.writer is not None and self.first_us is not None and self.last_us is not None
        self.writer.close()
        self.store.publish(self.temporary, self.relative)
        return Part(self.relative, self.month, self.rows, self.first_us, self.last_us)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
        Path(self.temporary).unlink(missing_ok=True)
        self.store.remove([self.relative])


BUCKET_ROWS = 2_000_000  # new rows whose digests are held at once while superseding
SLICE_ROWS = 1_000_000  # stored rows read at once while superseding


def supersede(
    connection: Connection, store: DataStore, kind: PartKind, owner: Owner, parts: list[Part],
    changes: Changes,
) -> int:  # fmt: skip
    """Rewrite the stored parts holding keys of the new file (`parts`) without them
    (copy-on-write), the changed rows kept as history (contacts); returns how many stored rows
    changed (restated).

    Rows are matched by a 128-bit digest of their key and told changed by a 64-bit digest of
    key and values. The new file's digests are taken in buckets of its keys (digest modulo the
    number of buckets) of at most `BUCKET_ROWS` rows: per bucket, each stored part's key column
    is checked first, and only a part holding some of the keys has that bucket's rows read, in
    slices of `SLICE_ROWS`, and written out (kept rows to its new part, changed rows to
    history). Memory is bounded by a bucket and a slice, not by the file or the parts; one
    bucket (files up to 2M rows) keeps the stored order.
    """
    months = sorted({part.month for part in parts})
    candidates = _candidates(connection, kind, owner, months)
    if not candidates:  # nothing stored in scope yet: no key to compare
        return 0
    buckets = max(1, -(-sum(part.rows for part in parts) // BUCKET_ROWS))
    digests = _Digests(store.scan([part.path for part in parts], kind.schema), kind, buckets)
    hit: list[_Candidate] = []
    for bucket in range(buckets):  # which parts hold some key (their key column only)
        keys, _full_rows = digests.of(bucket)
        for candidate in candidates:
            if candidate not in hit:
                old = store.scan([candidate.path], kind.schema).filter(digests.mine(bucket))
                found = old.select(_key(kind)).filter(pl.col("_key").is_in(keys)).head(1)
                if found.collect().height:
                    hit.append(candidate)
    hit.sort(key=lambda candidate: candidate.id)
    rewrites = {candidate.id: _Rewrite(store, kind, owner, candidate) for candidate in hit}
    try:
        for bucket in range(buckets if hit else 0):
            keys, full = digests.of(bucket)
            for candidate in hit:
                old = store.scan([candidate.path], kind.schema)
                for start in range(0, candidate.rows, SLICE_ROWS):  # the stored rows in slices
                    piece = old.slice(start, SLICE_ROWS).filter(digests.mine(bucket))
                    rows = piece.with_columns(_key(kind), _full(kind)).collect()
                    replaced = rows.get_column("_key").is_in(keys)
                    changed = replaced & ~rows.get_column("_full").is_in(full)
                    into = rewrites[candidate.id]
                    into.kept.write(rows.filter(~replaced).select(list(kind.schema)))
                    into.write_changed(rows.filter(changed).select(list(kind.schema)))
    except BaseException:
        for rewrite in rewrites.values():
            rewrite.discard()
        raise
    restated = 0
    for candidate in hit:  # in registry order
        rewrite = rewrites[candidate.id]
        restated += rewrite.restated
        gone = connection.execute(delete(PART).where(PART.c.id == candidate.id)).rowcount
        if gone != 1:
            raise StorageError(
                "another ingestion changed the stored rows of this provider at the same time;"
                " ingest the file again"
            )
        changes.retired.append(candidate.path)
        rewrite.finish(connection, changes)
    return restated


class _Digests:
    """The new rows' key and row digests, one bucket at a time (the last one kept)."""

    def __init__(self, rows: pl.LazyFrame, kind: PartKind, buckets: int) -> None:
        self.rows, self.kind, self.buckets = rows, kind, buckets
        self._held: tuple[int, pl.Series, pl.Series] | None = None

    def mine(self, bucket: int) -> pl.Expr:
        if self.buckets == 1:
            return pl.lit(True)
        return _key_digest(self.kind)[0] % self.buckets == bucket

    def of(self, bucket: int) -> tuple[pl.Series, pl.Series]:
        """(keys, row digests) of the bucket, each imploded for `is_in`."""
        if self._held is None or self._held[0] != bucket:
            self._held = None  # free the last bucket first
            fresh = self.rows.filter(self.mine(bucket)).select(_key(self.kind), _full(self.kind))
            found = fresh.collect()
            self._held = (
                bucket, found.get_column("_key").implode(), found.get_column("_full").implode()
            )  # fmt: skip
        return self._held[1], self._held[2]


@dataclass(frozen=True)
class _Candidate:
    """A registered part that may hold keys of the new file."""

    id: int
    path: str
    contract_id: str
    provider_id: str
    file_id: int
    month: str
    rows: int


class _Rewrite:
    """The new version of a stored part (its kept rows) and its changed rows (history)."""

    def __init__(self, store: DataStore, kind: PartKind, owner: Owner, old: _Candidate) -> None:
        self.kind, self.owner, self.old = kind, owner, old
        self.kept = _OpenPart(
            store, _part_path(kind, old.provider_id, old.month, old.file_id), old.month, kind
        )
        self.history: _OpenPart | None = None
        if kind is CONTACT_KIND:
            path = _part_path(HISTORY_KIND, old.provider_id, old.month, owner.file_id)
            self.history = _OpenPart(store, path, old.month, HISTORY_KIND)
        self.restated = 0

    def write_changed(self, rows: pl.DataFrame) -> None:
        self.restated += rows.height
        if self.history is not None and rows.height:
            self.history.write(
                rows.with_columns(
                    pl.lit(self.owner.file_id, pl.Int64).alias("replaced_by_file_id"),
                    pl.lit(self.owner.received_at).cast(UTC_US).alias("replaced_at"),
                )
            )

    def finish(self, connection: Connection, changes: Changes) -> None:
        """Publish and register the kept rows' part and the history part (when not empty)."""
        old, owner = self.old, self.owner
        for part, kind, file_id in ((self.kept, self.kind, old.file_id),
                                    (self.history, HISTORY_KIND, owner.file_id)):  # fmt: skip
            if part is None or not part.rows:
                if part is not None:
                    part.discard()
                continue
            changes.written.append(part.relative)
            register(connection, kind, old.contract_id, old.provider_id, file_id, part.close())

    def discard(self) -> None:
        for part in (self.kept, self.history):
            if part is not None:
                part.discard()


def _key_digest(kind: PartKind) -> list[pl.Expr]:
    """Two independent 64-bit hashes of a row's key."""
    key = pl.struct(list(kind.key))
    return [key.hash(seed=0), key.hash(seed=1)]


def _key(kind: PartKind) -> pl.Expr:
    """A row's key as one 128-bit digest (two rows of different keys collide about once in
    10^38)."""
    first, second = _key_digest(kind)
    high = first.cast(pl.UInt128) * pl.lit(2**64, pl.UInt128)
    return (high + second.cast(pl.UInt128)).alias("_key")


def _full(kind: PartKind) -> pl.Expr:
    """A 64-bit digest of a row's key and values (file and line aside): equal for the same row
    sent again."""
    return pl.struct([*kind.key, *kind.values]).hash(seed=2).alias("_full")


def _candidates(
    connection: Connection, kind: PartKind, owner: Owner, months: list[str]
) -> list[_Candidate]:
    scope = owner.provider_id if kind.scope == "provider_id" else owner.contract_id
    query = select(
        PART.c.id, PART.c.path, PART.c.contract_id, PART.c.provider_id, PART.c.file_id,
        PART.c.month, PART.c.rows,
    ).where(PART.c.kind == kind.name, PART.c[kind.scope] == scope)  # fmt: skip
    if kind.scope == "contract_id":  # the key holds the time: only the file's months can match
        query = query.where(PART.c.month.in_(months))
    rows = connection.execute(query.order_by(PART.c.id)).all()
    return [
        _Candidate(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]), int(r[6]))
        for r in rows
    ]
