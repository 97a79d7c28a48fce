"""Columnar store: contacts, contact history and intervals move out of SQL into Parquet parts.

Revision ID: 0003_columnar_store
Revises: 0002_evaluation_lifecycle
Created: 2026-11-29

The rows of `contact`, `contact_history` and `interval_row` are written as registered parts
under the engine's data location (docs/storage.md), then the three tables are dropped, in the
revision's transaction. Parts written before a failure stay unregistered (invisible) until
`slaengine storage sweep`. Nothing to do on a database without those tables.
"""

from __future__ import annotations

from alembic import op

from slaengine.adapters.columnar.upgrade import upgrade_columnar_store

revision = "0003_columnar_store"
down_revision = "0002_evaluation_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Move the rows, register the parts, drop the old tables."""
    upgrade_columnar_store(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("slaengine migrations go forward only; restore a backup instead")
