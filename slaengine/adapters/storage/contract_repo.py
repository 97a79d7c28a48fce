"""Stored contract versions read as plain records, without validating the specifications.

`services.contracts` validates every stored version back into a `Contract` (pydantic: about
0.2 s to build the models before the first one). What lists versions or picks the one in force
needs only the columns and a few keys of the stored document, which were validated when the
version was loaded: these records give them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.views import CONTRACT_VERSION


@dataclass(frozen=True)
class VersionRecord:
    """A stored contract version's columns and its specification as plain data (the dump of
    the validated `Contract`, keys as written in YAML)."""

    contract_id: str
    version: int
    provider_id: str
    sourcing: str
    activity: str
    effective_from: date
    effective_to: date | None
    file_hash: str
    source_path: str
    document: dict[str, Any]

    @property
    def provider_name(self) -> str:
        return str(self.document["provider"]["name"])

    @property
    def timezone(self) -> str:
        return str(self.document["timezone"])

    def covers(self, day: date) -> bool:
        """`Effective.covers`: from and to both inclusive, no end: open-ended."""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


def version_records(engine: Engine, contract_id: str | None = None) -> list[VersionRecord]:
    """Every stored version (of one contract), sorted by contract id then version."""
    view = CONTRACT_VERSION
    query = select(*view.c).order_by(view.c.contract_id, view.c.version)
    if contract_id is not None:
        query = query.where(view.c.contract_id == contract_id)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [_record(row) for row in rows]


def _record(row: Any) -> VersionRecord:
    return VersionRecord(
        contract_id=row["contract_id"],
        version=int(row["version"]),
        provider_id=row["provider_id"],
        sourcing=row["sourcing"],
        activity=row["activity"],
        effective_from=row["effective_from"],
        effective_to=row["effective_to"],
        file_hash=row["file_hash"],
        source_path=row["source_path"],
        document=json.loads(row["spec_json"]),
    )
