"""Quarantine blocks: the rows of `quarantined_row` move into `quarantine_block` (issue 22).

Revision ID: 0006_quarantine_blocks
Revises: 0005_relief
Created: 2026-12-06

`quarantined_row` held one SQL row per bad row (raw values and reasons as JSON texts, two
indexes); `quarantine_block` holds up to 50,000 of them per row as compressed Parquet with one
composite index (slaengine.adapters.storage.quarantine_store). Each file's rows are moved with
their line, raw and reasons texts unchanged and in the order `feed quarantine` read them
(line, then id), then the old table is dropped, in the revision's transaction. Nothing to move
on a database without the old table.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import inspect

from slaengine.adapters.storage.quarantine_store import QUARANTINE_BLOCK, move_quarantined_rows

revision = "0006_quarantine_blocks"
down_revision = "0005_relief"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the block table where missing, move the rows, drop the old table."""
    connection = op.get_bind()
    existing = set(inspect(connection).get_table_names())
    if QUARANTINE_BLOCK.name not in existing:  # a database upgraded with `alembic` alone
        QUARANTINE_BLOCK.create(connection)
    if "quarantined_row" in existing:
        move_quarantined_rows(connection)
        op.drop_table("quarantined_row")


def downgrade() -> None:
    raise NotImplementedError("slaengine migrations go forward only; restore a backup instead")
