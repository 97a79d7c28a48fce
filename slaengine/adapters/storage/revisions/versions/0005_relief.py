"""Relief requests: `relief_request` and `relief_step` (SPEC section 7).

Revision ID: 0005_relief
Revises: 0003_columnar_store
Created: 2026-12-06

New tables only: `create_schema` already creates tables that are new in this code from the
metadata before running revisions, so this revision creates them only where still missing
(a database upgraded with `alembic` alone). Nothing else changes.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import inspect

from slaengine.adapters.storage.relief_tables import ReliefRequestRow, ReliefStepRow

revision = "0005_relief"
down_revision = "0004_run_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables where missing (idempotent)."""
    connection = op.get_bind()
    existing = set(inspect(connection).get_table_names())
    for table in (ReliefRequestRow.__table__, ReliefStepRow.__table__):  # type: ignore[attr-defined]
        if table.name not in existing:
            table.create(connection)


def downgrade() -> None:
    raise NotImplementedError("slaengine migrations go forward only; restore a backup instead")
