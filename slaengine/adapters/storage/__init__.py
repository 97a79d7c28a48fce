"""SQLModel storage: SQLite by default, PostgreSQL by URL.

The SQL catalogue: contracts, feed files, quarantine, evaluations, runs, leases; Alembic.

May import SQLModel, SQLAlchemy, Alembic, `adapters.columnar`, the feed schemas and the domain.
"""
