"""Reading stored feeds back: frames for evaluation, records for reports and audits.

Frames come straight from the database cursor (`pl.read_database`), never one Python object
per contact. Instants are stored as epoch microseconds and come back as Datetime("us", "UTC").
Ranges are half-open: start <= instant < end (aware datetimes, any zone).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.views import COLUMNAR_PART

if TYPE_CHECKING:  # polars is imported when frames are read, not by the commands that list
    import polars as pl


def __getattr__(name: str) -> dict[str, pl.DataType]:
    """CONTACT_COLUMNS and INTERVAL_COLUMNS: the read API returns exactly the typed columns
    validation stores (one definition), imported on first use."""
    from slaengine.adapters.feeds.schemas import CONTACTS, INTERVALS

    columns = {"CONTACT_COLUMNS": CONTACTS, "INTERVAL_COLUMNS": INTERVALS}
    if name not in columns:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return dict(columns[name].stored)


@dataclass(frozen=True)
class Forecast:
    """The client's forecast of contacts for one local day and channel."""

    day: date
    channel: str
    contacts: int


@dataclass(frozen=True)
class Cost:
    """A cost of one month: channel (or `all`), Decimal amount, currency, kind (fee | other)."""

    month: str
    channel: str
    amount: Decimal
    currency: str
    kind: str


@dataclass(frozen=True)
class FeedFileRecord:
    """One ingested feed file as stored (times UTC; first/last arrival of its rows, if any)."""

    id: int
    contract_id: str
    sha256: str
    kind: str
    source: str | None
    file_name: str
    received_at: datetime
    rows: int
    stored: int
    quarantined: int
    reasons: dict[str, int]
    status: str
    first_arrival: datetime | None
    last_arrival: datetime | None
    restated: int = 0


@dataclass(frozen=True)
class Restatement:
    """A contact row replaced by a later file: which contact, which files, when."""

    contact_id: str
    old_file_sha256: str
    new_file_sha256: str
    replaced_at: datetime
    arrived_at: datetime


def us_of(moment: datetime) -> int:
    """Epoch microseconds (UTC) of an aware datetime; naive ones are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware datetime")
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def moment_of(us: int | None) -> datetime | None:
    """The aware UTC datetime of epoch microseconds (None stays None)."""
    if us is None:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def contacts_frame(
    engine: Engine, contract_id: str, start: datetime, end: datetime,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:  # fmt: skip
    """Current contacts of the contract arriving in [start, end), ordered by arrival.

    With `columns`, only those columns are read, in no particular row order (for sums that
    do not depend on it: no pass to check or restore the order).
    """
    from slaengine.adapters.columnar.read import scan_rows
    from slaengine.adapters.feeds.schemas import CONTACTS

    if columns is not None:
        return scan_rows(engine, "contacts", contract_id, us_of(start), us_of(end), columns)
    frame = scan_rows(
        engine, "contacts", contract_id, us_of(start), us_of(end), list(CONTACTS.stored)
    )
    return _ordered(frame, "arrived_at", "contact_id")


def intervals_frame(
    engine: Engine, contract_id: str, start: datetime, end: datetime
) -> pl.DataFrame:
    """Current interval rows of the contract starting in [start, end), ordered by start."""
    from slaengine.adapters.columnar.read import scan_rows
    from slaengine.adapters.feeds.schemas import INTERVALS

    frame = scan_rows(
        engine, "intervals", contract_id, us_of(start), us_of(end), list(INTERVALS.stored)
    )
    return frame.sort("interval_start", "channel", "queue")


def _ordered(frame: pl.DataFrame, time: str, key: str) -> pl.DataFrame:
    """The frame sorted by (time, key); parts are written so, and one part per month read in
    month order needs no sort: checking is linear, sorting is not."""
    import polars as pl

    earlier = pl.col(time).shift(1)
    in_order = (pl.col(time) > earlier) | (
        (pl.col(time) == earlier) & (pl.col(key) > pl.col(key).shift(1))
    )
    if frame.height < 2 or frame.select(in_order.fill_null(True).all()).item():
        return frame
    return frame.sort(time, key)


def forecasts(engine: Engine, contract_id: str, first_day: date, last_day: date) -> list[Forecast]:
    """The forecasts of the days first_day..last_day (both included), by day and channel."""
    query = text(
        "SELECT day, channel, contacts FROM forecast WHERE contract_id = :contract"
        " AND day >= :first AND day <= :last ORDER BY day, channel"
    )
    params = {"contract": contract_id, "first": first_day.isoformat(), "last": last_day.isoformat()}
    with engine.connect() as connection:
        rows = connection.execute(query, params).all()
    return [Forecast(date.fromisoformat(day), channel, int(n)) for day, channel, n in rows]


def costs(engine: Engine, contract_id: str, month: str) -> list[Cost]:
    """The costs stored for the month (YYYY-MM), by channel and kind."""
    query = text(
        "SELECT month, channel, amount, currency, kind FROM cost"
        " WHERE contract_id = :contract AND month = :month ORDER BY channel, kind"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"contract": contract_id, "month": month}).all()
    return [
        Cost(m, channel, Decimal(amount), currency, kind)
        for m, channel, amount, currency, kind in rows
    ]


_FILE_COLUMNS = (
    "id, contract_id, sha256, kind, source, file_name, received_at_us, rows, stored,"
    " quarantined, reasons_json, status, first_us, last_us, restated"
)


def _record(row: Any) -> FeedFileRecord:
    received = moment_of(row.received_at_us)
    assert received is not None
    return FeedFileRecord(
        id=int(row.id),
        contract_id=row.contract_id,
        sha256=row.sha256,
        kind=row.kind,
        source=row.source,
        file_name=row.file_name,
        received_at=received,
        rows=int(row.rows),
        stored=int(row.stored),
        quarantined=int(row.quarantined),
        reasons={str(k): int(v) for k, v in json.loads(row.reasons_json).items()},
        status=row.status,
        first_arrival=moment_of(row.first_us),
        last_arrival=moment_of(row.last_us),
        restated=int(row.restated),
    )


def feed_file(engine: Engine, file_id: int) -> FeedFileRecord | None:
    """One stored feed file by id, or None."""
    query = text(f"SELECT {_FILE_COLUMNS} FROM feed_file WHERE id = :id")
    with engine.connect() as connection:
        row = connection.execute(query, {"id": file_id}).first()
    return None if row is None else _record(row)


def feed_files(engine: Engine, contract_id: str) -> list[FeedFileRecord]:
    """Every feed file ingested for the contract, in ingestion order."""
    query = text(f"SELECT {_FILE_COLUMNS} FROM feed_file WHERE contract_id = :c ORDER BY id")
    with engine.connect() as connection:
        rows = connection.execute(query, {"c": contract_id}).all()
    return [_record(row) for row in rows]


def feed_files_for_period(
    engine: Engine, contract_id: str, start: datetime, end: datetime
) -> list[FeedFileRecord]:
    """Files holding current rows in [start, end): contacts, intervals, that month's costs
    and forecasts (days and months taken in the zone of `start`)."""
    first_day = start.date()
    last_day = (end - timedelta(microseconds=1)).astimezone(start.tzinfo).date()
    months = _months(first_day, last_day)
    month_list = ", ".join(f":m{n}" for n in range(len(months)))
    query = text(
        "SELECT DISTINCT file_id FROM forecast WHERE contract_id = :c"
        " AND day >= :first AND day <= :last"
        " UNION SELECT DISTINCT file_id FROM cost WHERE contract_id = :c"
        f" AND month IN ({month_list})"
    )
    params: dict[str, Any] = {
        "c": contract_id,
        "first": first_day.isoformat(),
        "last": last_day.isoformat(),
        **{f"m{n}": month for n, month in enumerate(months)},
    }
    with engine.connect() as connection:
        ids = {int(row[0]) for row in connection.execute(query, params)}
    for kind in ("contacts", "intervals"):
        ids |= _part_file_ids(engine, kind, contract_id, us_of(start), us_of(end))
    return [record for record in feed_files(engine, contract_id) if record.id in ids]


def _part_file_ids(engine: Engine, kind: str, contract_id: str, start_us: int, end_us: int) -> set[
    int
]:  # fmt: skip
    """`columnar.read.file_ids`, answered from the part registry alone when every part
    overlapping [start, end) lies wholly inside it (or belongs to a file already found so):
    then no Parquet file is opened and polars is not imported (a stored month's `evaluate`).
    A part straddling a bound with a file not otherwise found has its rows counted there."""
    part = COLUMNAR_PART
    query = select(part.c.file_id, part.c.rows, part.c.first_us, part.c.last_us).where(
        part.c.kind == kind,
        part.c.contract_id == contract_id,
        part.c.first_us < end_us,
        part.c.last_us >= start_us,
    )
    with engine.connect() as connection:
        parts = [(int(f), int(n), int(a), int(b)) for f, n, a, b in connection.execute(query)]
    inside = {
        file_id
        for file_id, rows, first, last in parts
        if rows and start_us <= first and last < end_us
    }
    if all(file_id in inside for file_id, *_ in parts):
        return inside
    from slaengine.adapters.columnar.read import file_ids

    return file_ids(engine, kind, contract_id, start_us, end_us)


def _months(first_day: date, last_day: date) -> list[str]:
    months: list[str] = []
    year, month = first_day.year, first_day.month
    while (year, month) <= (last_day.year, last_day.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def restatements(
    engine: Engine, contract_id: str, start: datetime, end: datetime
) -> list[Restatement]:
    """Contact rows of the contract arriving in [start, end) that a later file replaced."""
    from slaengine.adapters.columnar.read import scan_rows

    history = scan_rows(engine, "history", contract_id, us_of(start), us_of(end)).sort(
        "replaced_at", "arrived_at", "contact_id"
    )
    if history.height == 0:
        return []
    wanted = sorted(
        set(history.get_column("file_id").to_list())
        | set(history.get_column("replaced_by_file_id").to_list())
    )
    query = text("SELECT id, sha256 FROM feed_file WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    with engine.connect() as connection:
        shas = {int(i): str(sha) for i, sha in connection.execute(query, {"ids": wanted})}
    return [
        Restatement(cid, shas[old], shas[new], replaced, arrived)
        for cid, old, new, replaced, arrived in history.select(
            "contact_id", "file_id", "replaced_by_file_id", "replaced_at", "arrived_at"
        ).iter_rows()
    ]
