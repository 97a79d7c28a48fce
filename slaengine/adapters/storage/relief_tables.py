"""Relief requests and their trail (SPEC section 7): rows inserted, never updated or deleted.

- `relief_request`: one row per request: contract, interval (UTC), channels (comma-separated)
  and queues (a JSON list), reason, who asked and when, the evidence file's sha256, name and
  the path of its copy under the data location.
- `relief_step`: one row per decision or withdrawal. (request_id, slot) is unique, `slot`
  being `decision` (approved or rejected) or `withdrawal`: two processes deciding one request
  at once end with exactly one decision, the database refusing the second.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class ReliefRequestRow(SQLModel, table=True):
    __tablename__ = "relief_request"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(index=True, max_length=64)
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ends_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    channels: str = Field(max_length=64)
    queues: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: str = Field(max_length=200)
    requested_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    evidence_sha256: str | None = Field(default=None, max_length=64)
    evidence_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    evidence_path: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ReliefStepRow(SQLModel, table=True):
    __tablename__ = "relief_step"
    __table_args__ = (UniqueConstraint("request_id", "slot", name="uq_relief_step"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="relief_request.id", index=True)
    slot: str = Field(max_length=16)  # decision, withdrawal
    kind: str = Field(max_length=16)  # approved, rejected, withdrawn
    by: str = Field(max_length=200)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
