"""Commands that read what is already computed import only what they use.

A person waits for Python's imports before a command answers: Alembic is imported only when
the database needs upgrading, Pandera by the ingest only, ReportLab by the reports only, and
polars (and pyarrow) only where Parquet files are read. The listings and a stored month's
`evaluate` read through SQLAlchemy Core alone: no SQLModel, no ORM, no pydantic models (about
0.3 s), and a stored month's `evaluate --json` neither validates its contract nor computes its
settlement instant (no `holidays`) nor draws a table (no rich). Each command runs in a new
process, as a person runs it, and says which of those modules it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.migrations import head_revision
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import run_evaluation
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS

HEAVY = ("alembic", "pandera", "reportlab", "polars", "pyarrow", "hypothesis", "httpx")
MODELS = ("sqlmodel", "sqlalchemy.orm", "pydantic", "slaengine.domain.contract.model")

_PROBE = """
import json, sys
from slaengine.cli import main
code = 0
try:
    main(sys.argv[2:], prog_name="slaengine")
except SystemExit as done:
    code = done.code
heavy = sorted(name for name in json.loads(sys.argv[1]) if name in sys.modules)
print(json.dumps({"code": code, "imported": heavy}), file=sys.stderr)
"""

CONTACTS_CSV = """contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds
c1,phone,general,2026-10-05T08:00:00+02:00,2026-10-05T08:00:10+02:00,,120
c2,phone,general,2026-10-05T09:00:00+02:00,,2026-10-05T09:01:00+02:00,
c3,email,general,2026-10-31T23:30:00+01:00,2026-11-01T08:00:00+01:00,,300
c4,chat,general,2026-10-01T00:10:00+02:00,2026-10-01T00:10:05+02:00,,60
"""


@pytest.fixture
def stored_month(tmp_path: Path) -> str:
    """A database holding acme-l1, a few October contacts and October's final result."""
    url = f"sqlite:///{tmp_path / 'commands.db'}"
    engine = make_engine(url)
    create_schema(engine)
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    feed = tmp_path / "contacts.csv"
    feed.write_text(CONTACTS_CSV, encoding="utf-8")
    assert ingest_feed(engine, "acme-l1", "contacts", feed).stored == 4
    as_of = datetime(2026, 12, 1, tzinfo=UTC)
    assert run_evaluation(engine, "acme-l1", "2026-10", as_of=as_of).stored
    engine.dispose()
    return url


def _run(
    url: str, tmp_path: Path, *arguments: str, watched: tuple[str, ...] = HEAVY + MODELS
) -> tuple[list[str], str]:
    """Run the command in a new process; which `watched` modules it imported, and its output."""
    config = tmp_path / "config.toml"
    config.write_text('[reports]\nlocale = "en_GB"\n', encoding="utf-8")
    environment = os.environ | {
        "SLAENGINE_DATABASE_URL": url,
        "SLAENGINE_CONFIG": str(config),
        "COLUMNS": "80",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(watched), *arguments],
        capture_output=True, text=True, env=environment, check=False, timeout=120,
    )  # fmt: skip
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stdout + done.stderr
    return list(report["imported"]), done.stdout


@pytest.mark.parametrize("command", [["contract", "list"], ["run", "history"], ["relief", "list"]])
def test_listing_commands_import_no_heavy_package(
    stored_month: str, tmp_path: Path, command: list[str]
) -> None:
    imported, _output = _run(stored_month, tmp_path, *command)
    assert imported == []


def test_evaluating_a_stored_month_imports_no_heavy_package_nor_the_models(
    stored_month: str, tmp_path: Path
) -> None:
    arguments = ["evaluate", "acme-l1", "--period", "2026-10", "--json"]
    watched = (*HEAVY, *MODELS, "holidays", "rich")
    imported, output = _run(
        stored_month, tmp_path, *arguments, "--as-of", "2026-12-01T00:00:00+00:00", watched=watched
    )
    assert json.loads(output)["stored"] is False  # the stored final result, read back
    assert imported == []


def test_evaluating_a_month_whose_inputs_changed_computes_it_again(
    stored_month: str, tmp_path: Path
) -> None:
    """The same command once a feed file of the month was added: computed (polars and the
    models imported), a restatement stored."""
    engine = make_engine(stored_month)
    feed = tmp_path / "more.csv"
    feed.write_text(CONTACTS_CSV.replace("\nc", "\nd"), encoding="utf-8")
    assert ingest_feed(engine, "acme-l1", "contacts", feed).stored == 4
    engine.dispose()
    arguments = ["evaluate", "acme-l1", "--period", "2026-10", "--json"]
    imported, output = _run(
        stored_month, tmp_path, *arguments, "--as-of", "2026-12-01T00:00:00+00:00"
    )
    assert (json.loads(output)["stored"], json.loads(output)["lifecycle"]) == (True, "restated")
    assert {"polars", "pydantic", "slaengine.domain.contract.model"} <= set(imported)


def test_help_imports_neither_sqlalchemy_nor_the_models(stored_month: str, tmp_path: Path) -> None:
    watched = (*HEAVY, *MODELS, "sqlalchemy")
    imported, output = _run(stored_month, tmp_path, "--help", watched=watched)
    assert "evaluate" in output
    assert imported == []


def test_a_database_behind_the_code_is_upgraded_with_alembic(
    stored_month: str, tmp_path: Path
) -> None:
    """The fast path reads the stamp itself: a database at an older revision still upgrades."""
    from sqlalchemy import text

    engine = make_engine(stored_month)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE alembic_version SET version_num = '0002_evaluation_lifecycle'")
        )
    engine.dispose()
    imported, _output = _run(stored_month, tmp_path, "contract", "list")
    assert "alembic" in imported
    engine = make_engine(stored_month)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert version == head_revision()
