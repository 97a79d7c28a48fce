"""Evaluation lifecycle: `lifecycle`, `settles_at` and `inputs_json` on `evaluation_run`.

Revision ID: 0002_evaluation_lifecycle
Revises: 0001_baseline
Created: 2026-11-29

Runs stored before the lifecycle existed become provisional: they were computed as of
whenever they ran, not as of the month's settlement instant, so they never stand as a month's
result; the next report or `evaluate` of a settled month computes its final result.
"""

from __future__ import annotations

from alembic import op

from slaengine.adapters.storage.evaluation_repo import upgrade_evaluation_lifecycle

revision = "0002_evaluation_lifecycle"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the three columns where missing (idempotent)."""
    upgrade_evaluation_lifecycle(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("slaengine migrations go forward only; restore a backup instead")
