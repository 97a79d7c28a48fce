"""Reading the store: the registered parts overlapping a time range, scanned lazily.

Only parts named by the registry are read; the time predicate is pushed down to the Parquet
row groups. Supersession was resolved at ingest, so no row needs de-duplication here.

Every read goes through `read_parts`, the one retry path: an ingestion that commits a
re-send or a correction after the registry was read retires (deletes) parts the read was told
of, so a part found missing makes the registry be read again and the read start over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Final, TypeVar

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.location import DataStore, data_location, open_store
from slaengine.adapters.columnar.store import KINDS, PART, PartKind
from slaengine.errors import StorageError

SLICE_ROWS = 2_000_000  # stored rows read at once by `fold_slices`
# The streaming engine decodes the row groups of a read on both cores with less work than
# the in-memory one (a month of 10M contacts: 1.0 CPU seconds instead of 1.2); row order kept.
ENGINE: Final = "streaming"

T = TypeVar("T")


def _parts(
    engine: Engine, kind: PartKind, contract_id: str, start_us: int, end_us: int
) -> list[tuple[str, int, int, int, int]]:
    """(path, file id, rows, first us, last us) of the parts overlapping [start, end)."""
    query = (
        select(PART.c.path, PART.c.file_id, PART.c.rows, PART.c.first_us, PART.c.last_us)
        .where(
            PART.c.kind == kind.name,
            PART.c.contract_id == contract_id,
            PART.c.first_us < end_us,
            PART.c.last_us >= start_us,
        )
        .order_by(PART.c.id)
    )
    with engine.connect() as connection:
        return [
            (str(p), int(f), int(n), int(a), int(b)) for p, f, n, a, b in connection.execute(query)
        ]


def _moment(us: int) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)


def scan_rows(
    engine: Engine, kind_name: str, contract_id: str, start_us: int, end_us: int,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:  # fmt: skip
    """The stored rows of the contract whose time is in [start, end): all part columns, or
    only `columns` (the others are then never read from the files).

    A part retired by an ingestion that committed after the registry was read is gone from
    the disk: the registry is read again (once per retry) and the scan repeated.
    """
    kind = KINDS[kind_name]
    return read_parts(
        engine, kind, contract_id, start_us, end_us,
        lambda store, parts: _scan_rows(store, kind, parts, contract_id, start_us, end_us, columns),
    )  # fmt: skip


Parts = list[tuple[str, int, int, int, int]]  # (path, file id, rows, first us, last us)
READ_ATTEMPTS = 3


def read_parts(
    engine: Engine, kind: PartKind, contract_id: str, start_us: int, end_us: int,
    read: Callable[[DataStore, Parts], T],
) -> T:  # fmt: skip
    """`read(store, parts)` of the registered parts overlapping [start, end), the registry read
    again and `read` started over when a part it was given is gone meanwhile (retired by an
    ingestion that committed), up to `READ_ATTEMPTS` times in all.

    Raises StorageError when parts are still missing (a wrong data location, files deleted
    by hand).
    """
    store = open_store(engine)
    for _attempt in range(READ_ATTEMPTS):
        parts = _parts(engine, kind, contract_id, start_us, end_us)
        try:
            return read(store, parts)
        except FileNotFoundError as error:
            missing = error
    raise StorageError(
        f"a Parquet file the catalogue registers is missing from the data location"
        f" {data_location(engine)} ({missing}); check [storage] data in config.toml or"
        " SLAENGINE_DATA_URL (the default store of a SQLite catalogue NAME.db is NAME.data"
        " beside it)"
    )


def _scan_rows(
    store: DataStore, kind: PartKind, parts: Parts, contract_id: str, start_us: int,
    end_us: int, columns: Sequence[str] | None,
) -> pl.DataFrame:  # fmt: skip
    wanted = {name: kind.schema[name] for name in (columns or kind.schema)}
    if not parts:  # an empty month (earlier months of a history often are): no scan at all
        return pl.DataFrame(schema=wanted)
    frame = store.scan([path for path, *_ in parts], kind.schema).filter(
        _kept(kind, parts, contract_id, start_us, end_us)
    )
    return frame.select(pl.col(n).cast(t) for n, t in wanted.items()).collect(engine=ENGINE)


def _kept(kind: PartKind, parts: Parts, contract_id: str, start_us: int, end_us: int) -> pl.Expr:
    """The rows of the contract in [start, end); the time test is left out when every part
    lies inside (the registry holds each part's first and last instant exactly), sparing a
    comparison and a copy of every column read."""
    mine = pl.col("contract_id") == contract_id
    if all(start_us <= first and last < end_us for *_, first, last in parts):
        return mine
    time, dtype = pl.col(kind.time), kind.schema[kind.time]
    return (
        mine
        & (time >= pl.lit(_moment(start_us)).cast(dtype))
        & (time < pl.lit(_moment(end_us)).cast(dtype))
    )


def fold_slices(
    engine: Engine, kind_name: str, contract_id: str, start_us: int, end_us: int,
    columns: Sequence[str], fold: Callable[[pl.DataFrame], T],
) -> list[T]:  # fmt: skip
    """`fold` of the stored rows in [start, end) (only `columns`), a slice of at most
    `SLICE_ROWS` rows at a time, so that memory is bounded by a slice, not by the month: one
    result per slice, at least one (of an empty frame when nothing is stored). Up to
    `SLICE_ROWS` rows in all are read in one piece, as `scan_rows` reads them.

    A part retired meanwhile by an ingestion that committed: the registry is read again and
    every slice folded again (up to three times).
    """
    kind = KINDS[kind_name]

    def read(store: DataStore, parts: Parts) -> list[T]:
        if sum(rows for _path, _file, rows, *_ in parts) <= SLICE_ROWS:
            return [fold(_scan_rows(store, kind, parts, contract_id, start_us, end_us, columns))]
        return _fold_parts(store, kind, parts, contract_id, start_us, end_us, columns, fold)

    return read_parts(engine, kind, contract_id, start_us, end_us, read)


def _fold_parts(
    store: DataStore, kind: PartKind, parts: Parts, contract_id: str, start_us: int,
    end_us: int, columns: Sequence[str], fold: Callable[[pl.DataFrame], T],
) -> list[T]:  # fmt: skip
    wanted = {name: kind.schema[name] for name in columns}
    found: list[T] = []
    for part in parts:
        path, _file_id, rows, _first, _last = part
        kept = _kept(kind, [part], contract_id, start_us, end_us)
        for start in range(0, rows, SLICE_ROWS):  # slice first: only its row groups are read
            frame = (
                store.scan([path], kind.schema)
                .slice(start, SLICE_ROWS)
                .filter(kept)
                .select(pl.col(n).cast(t) for n, t in wanted.items())
                .collect(engine=ENGINE)
            )
            if frame.height:
                found.append(fold(frame))
    return found or [fold(pl.DataFrame(schema=wanted))]


def file_ids(engine: Engine, kind_name: str, contract_id: str, start_us: int, end_us: int) -> set[
    int
]:  # fmt: skip
    """The feed files holding current rows of the contract in [start, end)."""
    kind = KINDS[kind_name]
    return read_parts(
        engine, kind, contract_id, start_us, end_us,
        lambda store, parts: _file_ids(store, kind, parts, start_us, end_us),
    )  # fmt: skip


def _file_ids(store: DataStore, kind: PartKind, parts: Parts, start_us: int, end_us: int) -> set[
    int
]:  # fmt: skip
    found: set[int] = set()
    unsure: dict[str, int] = {}
    for path, file_id, rows, first, last in parts:
        if rows and start_us <= first and last < end_us:
            found.add(file_id)
        elif file_id not in found:
            unsure[path] = file_id
    if unsure:
        time = pl.col(kind.time).dt.epoch("us")
        for path, file_id in unsure.items():
            if file_id in found:
                continue
            inside = store.scan([path], kind.schema).filter(
                time >= start_us, time < end_us
            ).select(pl.len()).collect().item()  # fmt: skip
            if inside:
                found.add(file_id)
    return found


def stored_rows(engine: Engine) -> dict[str, int]:
    """Rows registered per kind (contacts, history, intervals): for audits and tests."""
    query = select(PART.c.kind, func.sum(PART.c.rows)).group_by(PART.c.kind)
    with engine.connect() as connection:
        totals = {str(kind): int(total or 0) for kind, total in connection.execute(query)}
    return {name: totals.get(name, 0) for name in KINDS}
