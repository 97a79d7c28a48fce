"""Baseline: the schema of slaengine 0.1 (step 1 of the former numbered scheme).

Revision ID: 0001_baseline
Revises:
Created: 2026-11-29

A database made before Alembic was stamped `schema_migration.step = 1`; it is stamped with
this revision instead and carries on from here. Nothing to alter: the tables are the models'.
"""

from __future__ import annotations

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: the baseline tables are created from the models."""


def downgrade() -> None:
    raise NotImplementedError("slaengine migrations go forward only; restore a backup instead")
