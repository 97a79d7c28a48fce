"""Stored contract versions: the specification as loaded, its file hash and its text."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class ContractVersionRow(SQLModel, table=True):
    """One version of one contract, exactly as loaded (raw_text) and as parsed (spec_json)."""

    __tablename__ = "contract_version"
    __table_args__ = (UniqueConstraint("contract_id", "version", name="uq_contract_version"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(index=True, max_length=64)
    version: int
    provider_id: str = Field(max_length=64)
    activity: str = Field(index=True, max_length=64)
    sourcing: str = Field(max_length=16)
    effective_from: date
    effective_to: date | None = None
    file_hash: str = Field(max_length=64)
    source_path: str = Field(sa_column=Column(Text, nullable=False))
    raw_text: str = Field(sa_column=Column(Text, nullable=False))
    spec_json: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
