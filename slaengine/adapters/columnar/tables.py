"""The registry of Parquet files: a file the registry does not name is invisible.

One row per part file: the contacts or intervals of one feed file for one provider and UTC
month (`kind` contacts | intervals), or contact rows replaced by a later file (`history`).
`file_id` is the feed file whose rows the part holds (for history: the replacing file).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class ColumnarPartRow(SQLModel, table=True):
    __tablename__ = "columnar_part"
    __table_args__ = (
        UniqueConstraint("path"),
        Index("ix_columnar_part_scope", "kind", "provider_id", "month"),
        Index("ix_columnar_part_contract", "kind", "contract_id", "first_us"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    contract_id: str = Field(max_length=64)
    provider_id: str = Field(max_length=64)
    month: str = Field(max_length=7)
    file_id: int = Field(index=True)
    path: str = Field(max_length=1000)
    rows: int
    first_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class EvaluationInputCacheRow(SQLModel, table=True):
    """What an evaluation gathered from the feeds (daily counts per objective, excluded days,
    provider-reported figures, costs), keyed by a fingerprint of everything it depends on."""

    __tablename__ = "evaluation_input_cache"

    key: str = Field(primary_key=True, max_length=64)
    contract_id: str = Field(max_length=64, index=True)
    period: str = Field(max_length=7)
    created_at_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))


class ColumnarStoreRow(SQLModel, table=True):
    """The identity of this catalogue's store: one row, made on first use. The store's marker
    file (`slaengine-catalogue.json` at its root) names the same id, so that a store is never
    swept or written by another catalogue."""

    __tablename__ = "columnar_store"

    name: str = Field(primary_key=True, max_length=16)  # always "columnar"
    catalogue_id: str = Field(max_length=32)
    created_at_us: int = Field(sa_column=Column(BigInteger, nullable=False))
