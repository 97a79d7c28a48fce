"""Reading stored feeds back: frames for evaluation, records for reports and audits.

Frames come straight from the database cursor (`pl.read_database`), never one Python object
per contact. Instants are stored as epoch microseconds and come back as Datetime("us", "UTC").
Ranges are half-open: start <= instant < end (aware datetimes, any zone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlalchemy.engine import Engine

from slaengine.adapters.feeds.schemas import CONTACTS, INTERVALS

_UTC = pl.Datetime("us", "UTC")

# The read API returns exactly the typed columns validation stores (one definition).
CONTACT_COLUMNS: dict[str, pl.DataType] = dict(CONTACTS.stored)
INTERVAL_COLUMNS: dict[str, pl.DataType] = dict(INTERVALS.stored)


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


def _frame(
    engine: Engine, query: str, params: dict[str, Any], schema: dict[str, Any]
) -> pl.DataFrame:
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        return _copied_frame(engine, query, params, schema)
    if engine.dialect.name == "sqlite":
        return _fetched_frame(engine, query, params, schema)
    with engine.connect() as connection:
        frame = pl.read_database(
            text(query),
            connection,
            execute_options={"parameters": params},
            infer_schema_length=None,
        )
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame


_BATCH_ROWS = 100_000


def _fetched_frame(
    engine: Engine, query: str, params: dict[str, Any], schema: dict[str, Any]
) -> pl.DataFrame:
    """SQLite: the driver's tuples in batches, each batch made columnar at once (bounded)."""
    compiled = text(query).compile(dialect=engine.dialect)
    positional = [params[name] for name in compiled.positiontup or ()]
    frames: list[pl.DataFrame] = []
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(str(compiled), positional)
            columns = [(item[0], schema[item[0]]) for item in cursor.description]
            while batch := cursor.fetchmany(_BATCH_ROWS):
                frames.append(pl.DataFrame(batch, schema=columns, orient="row"))
        finally:
            cursor.close()
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="vertical")


def _copied_frame(
    engine: Engine, query: str, params: dict[str, Any], schema: dict[str, Any]
) -> pl.DataFrame:
    """PostgreSQL: COPY the result out as CSV and parse it in polars (no Python row objects).

    Parameters are rendered as SQL literals by SQLAlchemy's PostgreSQL dialect (COPY takes no
    bound parameters); they are a contract id and integers, quoted by the dialect.
    """
    statement = text(query).bindparams(**params)
    rendered = statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    flags = [name for name, dtype in schema.items() if dtype == pl.Boolean()]
    as_read = {name: pl.String() if name in flags else dtype for name, dtype in schema.items()}
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            copy_sql = f"COPY ({rendered}) TO STDOUT WITH (FORMAT csv, HEADER true)"
            with cursor.copy(copy_sql) as copy:
                data = b"".join(bytes(block) for block in copy)
    frame = pl.read_csv(data, schema=as_read)
    booleans = {"t": True, "f": False}
    return frame.with_columns(
        pl.col(name).replace_strict(booleans, default=None, return_dtype=pl.Boolean)
        for name in flags
    )


def contacts_frame(
    engine: Engine, contract_id: str, start: datetime, end: datetime
) -> pl.DataFrame:
    """Current contacts of the contract arriving in [start, end), ordered by arrival."""
    query = (
        "SELECT contact_id, channel, queue, arrived_at_us, answered_at_us, abandoned_at_us,"
        " handle_seconds, resolved_first_contact, csat, nps FROM contact"
        " WHERE contract_id = :contract AND arrived_at_us >= :start AND arrived_at_us < :end"
        " ORDER BY arrived_at_us, contact_id"
    )
    raw_schema = {
        **{name: dtype for name, dtype in CONTACT_COLUMNS.items() if name[-3:] != "_at"},
        "arrived_at_us": pl.Int64(),
        "answered_at_us": pl.Int64(),
        "abandoned_at_us": pl.Int64(),
    }
    params = {"contract": contract_id, "start": us_of(start), "end": us_of(end)}
    frame = _frame(engine, query, params, raw_schema)
    return frame.select(_typed(CONTACT_COLUMNS))


def _typed(columns: dict[str, pl.DataType]) -> list[pl.Expr]:
    out = []
    for name, dtype in columns.items():
        if dtype == _UTC:
            source = pl.col(f"{name}_us").cast(pl.Int64)
            out.append(source.cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias(name))
        else:
            out.append(pl.col(name).cast(dtype).alias(name))
    return out


def intervals_frame(
    engine: Engine, contract_id: str, start: datetime, end: datetime
) -> pl.DataFrame:
    """Current interval rows of the contract starting in [start, end), ordered by start."""
    names = [n for n in INTERVAL_COLUMNS if n != "interval_start"]
    query = (
        f"SELECT interval_start_us, {', '.join(names)} FROM interval_row"
        " WHERE contract_id = :contract AND interval_start_us >= :start"
        " AND interval_start_us < :end ORDER BY interval_start_us, channel, queue"
    )
    raw_schema = {"interval_start_us": pl.Int64(), **{n: INTERVAL_COLUMNS[n] for n in names}}
    params = {"contract": contract_id, "start": us_of(start), "end": us_of(end)}
    return _frame(engine, query, params, raw_schema).select(_typed(INTERVAL_COLUMNS))


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
        "SELECT DISTINCT file_id FROM contact WHERE contract_id = :c"
        " AND arrived_at_us >= :s AND arrived_at_us < :e"
        " UNION SELECT DISTINCT file_id FROM interval_row WHERE contract_id = :c"
        " AND interval_start_us >= :s AND interval_start_us < :e"
        " UNION SELECT DISTINCT file_id FROM forecast WHERE contract_id = :c"
        " AND day >= :first AND day <= :last"
        " UNION SELECT DISTINCT file_id FROM cost WHERE contract_id = :c"
        f" AND month IN ({month_list})"
    )
    params: dict[str, Any] = {
        "c": contract_id,
        "s": us_of(start),
        "e": us_of(end),
        "first": first_day.isoformat(),
        "last": last_day.isoformat(),
        **{f"m{n}": month for n, month in enumerate(months)},
    }
    with engine.connect() as connection:
        ids = sorted(int(row[0]) for row in connection.execute(query, params))
    return [record for record in feed_files(engine, contract_id) if record.id in set(ids)]


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
    query = text(
        "SELECT h.contact_id, f_old.sha256 AS old_sha, f_new.sha256 AS new_sha, h.replaced_at_us,"
        " h.arrived_at_us FROM contact_history h"
        " JOIN feed_file f_old ON f_old.id = h.file_id"
        " JOIN feed_file f_new ON f_new.id = h.replaced_by_file_id"
        " WHERE h.contract_id = :c AND h.arrived_at_us >= :s AND h.arrived_at_us < :e"
        " ORDER BY h.replaced_at_us, h.arrived_at_us, h.contact_id"
    )
    params = {"c": contract_id, "s": us_of(start), "e": us_of(end)}
    with engine.connect() as connection:
        rows = connection.execute(query, params).all()
    return [_restatement(row) for row in rows]


def _restatement(row: Any) -> Restatement:
    replaced, arrived = moment_of(row.replaced_at_us), moment_of(row.arrived_at_us)
    assert replaced is not None and arrived is not None
    return Restatement(row.contact_id, row.old_sha, row.new_sha, replaced, arrived)
