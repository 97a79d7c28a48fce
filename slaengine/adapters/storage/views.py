"""Light views of the stored tables, for the commands that only read what is computed.

The tables are SQLModel classes (`*_tables.py`): importing them costs SQLModel, SQLAlchemy's
ORM and pydantic, about 0.3 s before a command can answer. A listing (`contract list`, `run
history`, `relief list`) or the read-back of a month's stored result reads through these
SQLAlchemy Core `table()` clauses instead: the same names and column types (types matter: they
turn SQLite's text back into dates, instants and booleans), kept equal to the models by
tests/test_storage_views.py. Only reads go through here; every write uses the models.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String, column, table

CONTRACT_VERSION = table(
    "contract_version",
    column("contract_id", String),
    column("version", Integer),
    column("provider_id", String),
    column("activity", String),
    column("sourcing", String),
    column("effective_from", Date),
    column("effective_to", Date),
    column("file_hash", String),
    column("source_path", String),
    column("spec_json", String),
)

RUN_LEDGER = table(
    "run_ledger",
    column("id", Integer),
    column("job", String),
    column("period", String),
    column("generation", Integer),
    column("forced", Boolean),
    column("started_at", DateTime(timezone=True)),
    column("finished_at", DateTime(timezone=True)),
    column("outcome", String),
    column("counts", String),
    column("error", String),
)

RUN_ATTEMPT = table(
    "run_attempt",
    column("run_id", Integer),
    column("attempt", Integer),
    column("kind", String),
    column("started_at", DateTime(timezone=True)),
    column("finished_at", DateTime(timezone=True)),
    column("outcome", String),
    column("counts", String),
    column("error", String),
)

RELIEF_REQUEST = table(
    "relief_request",
    column("id", Integer),
    column("contract_id", String),
    column("starts_at", DateTime(timezone=True)),
    column("ends_at", DateTime(timezone=True)),
    column("channels", String),
    column("queues", String),
    column("reason", String),
    column("requested_by", String),
    column("requested_at", DateTime(timezone=True)),
    column("evidence_sha256", String),
    column("evidence_name", String),
)

RELIEF_STEP = table(
    "relief_step",
    column("id", Integer),
    column("request_id", Integer),
    column("kind", String),
    column("by", String),
    column("at", DateTime(timezone=True)),
    column("note", String),
)

EVALUATION_RUN = table(
    "evaluation_run",
    column("id", Integer),
    column("contract_id", String),
    column("period", String),
    column("lifecycle", String),
    column("superseded_by", Integer),
    column("restated", Boolean),
    column("fingerprint", String),
    column("result_json", String),
    column("inputs_json", String),
)

COLUMNAR_PART = table(
    "columnar_part",
    column("kind", String),
    column("contract_id", String),
    column("file_id", Integer),
    column("rows", Integer),
    column("first_us", BigInteger),
    column("last_us", BigInteger),
)

VIEWS = (
    CONTRACT_VERSION,
    RUN_LEDGER,
    RUN_ATTEMPT,
    RELIEF_REQUEST,
    RELIEF_STEP,
    EVALUATION_RUN,
    COLUMNAR_PART,
)
