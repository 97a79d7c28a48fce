"""Run ledger: every attempt at a run kept in `run_attempt` (failed, interrupted, resumed...).

Revision ID: 0004_run_ledger
Revises: 0003_columnar_store
Created: 2026-12-06

The table itself is new, so it is created from the models before revisions run; this
revision gives every run recorded before it one attempt with the run's own instants, outcome,
counts and error (what the ledger knew of it), so `run history` shows them like the others.
"""

from __future__ import annotations

from alembic import op

from slaengine.adapters.storage.run_repo import backfill_attempts

revision = "0004_run_ledger"
down_revision = "0003_columnar_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One attempt for each run that has none (idempotent)."""
    backfill_attempts(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("slaengine migrations go forward only; restore a backup instead")
