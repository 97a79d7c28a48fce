"""Stored provider feeds: one row per file, per cost, per forecast, per block of bad rows.

Instants are epoch microseconds in UTC (BIGINT): fast, exact and identical on SQLite and
PostgreSQL. Money is decimal text. Contacts and intervals are not SQL rows: they live in the
columnar store (Parquet parts listed in `columnar_part`, see slaengine.adapters.columnar).
Rows are written with SQLAlchemy Core executemany, never one ORM object per row. Quarantined
rows are kept in blocks (`QuarantineBlockRow`): one SQL row per bad row cost a file of 1M bad
rows 7 to 8 s and 340 MB of SQLite (issue 22).
"""

from __future__ import annotations

from sqlalchemy import DDL, BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from slaengine.adapters.columnar import tables as _columnar_tables  # noqa: F401  (registers)


def _us(nullable: bool = True) -> Column[int]:
    return Column(BigInteger, nullable=nullable)


class FeedFileRow(SQLModel, table=True):
    __tablename__ = "feed_file"
    __table_args__ = (UniqueConstraint("contract_id", "kind", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(index=True, max_length=64)
    provider_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    sha256: str = Field(max_length=64)
    source: str | None = Field(default=None, max_length=2000)
    file_name: str = Field(max_length=500)
    received_at_us: int = Field(sa_column=_us(nullable=False))
    rows: int
    stored: int
    quarantined: int
    restated: int = 0
    reasons_json: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)  # stored | partial | quarantined
    first_us: int | None = Field(default=None, sa_column=_us())  # earliest arrival / interval
    last_us: int | None = Field(default=None, sa_column=_us())
    first_day: str | None = Field(default=None, max_length=10)  # costs / forecasts: YYYY-MM-DD
    last_day: str | None = Field(default=None, max_length=10)


class CostRow(SQLModel, table=True):
    __tablename__ = "cost"
    __table_args__ = (UniqueConstraint("contract_id", "month", "channel", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(max_length=64)
    month: str = Field(max_length=7)
    channel: str = Field(max_length=16)
    amount: str = Field(max_length=40)  # decimal text
    currency: str = Field(max_length=3)
    kind: str = Field(max_length=16)
    file_id: int = Field(index=True)
    line: int


class ForecastRow(SQLModel, table=True):
    __tablename__ = "forecast"
    __table_args__ = (UniqueConstraint("contract_id", "day", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(max_length=64)
    day: str = Field(max_length=10)  # YYYY-MM-DD
    channel: str = Field(max_length=16)
    contacts: int
    file_id: int = Field(index=True)
    line: int


class QuarantineBlockRow(SQLModel, table=True):
    """Up to `quarantine_store.BLOCK_ROWS` quarantined rows of one file, in line order.

    `payload` is a Parquet file (zstd) of three columns per bad row: `line` (Int64), `raw_json`
    (the raw text values as a JSON object) and `reasons_json` (the reason codes as a JSON
    list): the texts the former `quarantined_row` table held one SQL row each. One index
    serves the one query of the table (a contract's blocks, or one file's, in file and line
    order; see `quarantine_store.read_quarantine`).
    """

    __tablename__ = "quarantine_block"
    __table_args__ = (
        Index("ix_quarantine_block_contract_file_line", "contract_id", "file_id", "first_line"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(max_length=64)
    file_id: int
    first_line: int  # of the block's first row (physical line of the file)
    last_line: int
    rows: int
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# The payload is compressed already: PostgreSQL's own compression of it (TOAST, pglz) only
# costs time, 0.4 s of the 1M bad rows' 24 MB (measured), for nothing smaller.
_UNCOMPRESSED = "ALTER TABLE quarantine_block ALTER COLUMN payload SET STORAGE EXTERNAL"
event.listen(
    QuarantineBlockRow.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL(_UNCOMPRESSED).execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)
