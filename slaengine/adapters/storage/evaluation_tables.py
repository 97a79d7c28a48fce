"""Stored evaluations: one row per evaluation run, one row per objective of a run.

A run keeps everything an audit needs: contract id and version, period, as_of, the feed
files that went in (sha256), a fingerprint of those inputs, and the whole Evaluation as JSON.
`lifecycle` (SPEC section 5) keeps provisional runs apart from the month's result: only
`final` and `restated` runs stand as a month's result; a new final whose inputs differ is
marked `restated` and the final it replaces points to it through `superseded_by`.
`settles_at` is the month's settlement instant, `inputs_json` the inputs a final was keyed by.
Rows written before these columns existed read as `provisional` (upgrade_evaluation_lifecycle).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel


class EvaluationRun(SQLModel, table=True):
    __tablename__ = "evaluation_run"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(index=True, max_length=64)
    contract_version: int
    period: str = Field(index=True, max_length=7)
    as_of: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    month_to_date: bool = False
    input_hashes: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of sha256
    fingerprint: str = Field(max_length=64)
    result_digest: str = Field(max_length=64)
    result_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    restated: bool = False
    superseded_by: int | None = Field(default=None)
    lifecycle: str = Field(default="provisional", max_length=12)
    settles_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    inputs_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EvaluationObjectiveRow(SQLModel, table=True):
    __tablename__ = "evaluation_objective"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="evaluation_run.id", index=True)
    objective_id: str = Field(max_length=64)
    kpi: str = Field(max_length=40)
    status: str = Field(max_length=20)
    value: float | None = None
    numerator: str | None = Field(default=None, max_length=40)  # exact: int or decimal text
    denominator: str | None = Field(default=None, max_length=40)
    volume: int = 0
    credit: str = Field(default="0.00", max_length=20)  # money as decimal text
