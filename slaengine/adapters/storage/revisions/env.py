"""Alembic environment: runs on the connection slaengine hands over (never reads alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from slaengine.adapters.storage import tables  # noqa: F401  (registers every table)

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: slaengine's `db upgrade` is the supported way
    raise SystemExit("run `slaengine db upgrade`: it hands the database connection to Alembic")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
)
with context.begin_transaction():
    context.run_migrations()
