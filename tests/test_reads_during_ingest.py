"""Commands that read what is already computed never wait for another process's write (SQLite).

An ingest holds SQLite's single write lock for the length of its transaction (tens of seconds
for 10M contacts). `contract list`, `run history`, `relief list` and `evaluate` of a stored
month only read: their transactions begin DEFERRED (`reading` engines), which in WAL mode
never wait for a writer and see the last committed state. Here another connection holds the
write lock with uncommitted deletions while each command runs as a real process, with a busy
timeout of 3 s in the URL: a command that waited for the lock would fail with "database is
locked" instead of answering. A write through a reading engine is refused at once (it is
never tried as an upgrade from reading to writing, which fails under a concurrent writer).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from slaengine.adapters.storage.engine import create_schema, make_engine, reading
from slaengine.errors import StorageError
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import run_evaluation
from slaengine.services.feeds import ingest_feed
from slaengine.services.relief import ReliefAsked, request_relief
from slaengine.services.runs import claim
from tests.conftest import CONTRACTS, ROOT

SLAENGINE = str(ROOT / ".venv" / "bin" / "slaengine")
AS_OF = "2026-12-01T00:00:00+00:00"  # acme-l1's October settles on 4 November
CONTACTS_CSV = """contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds
c1,phone,general,2026-10-05T08:00:00+02:00,2026-10-05T08:00:10+02:00,,120
c2,phone,general,2026-10-05T09:00:00+02:00,,2026-10-05T09:01:00+02:00,
c3,email,general,2026-10-31T23:30:00+01:00,2026-11-01T08:00:00+01:00,,300
"""
SHOP = """\
apiVersion: slaengine/v1
kind: Contract
id: shop
version: 1
title: Shop support
provider: {id: callco, name: CallCo, sourcing: outsourced}
activity: shop-support
effective: {from: 2026-01-01}
timezone: Europe/Paris
currency: EUR
objectives:
  - {id: phone-sl, channel: phone, kpi: service_level, threshold: 20s, target: ">= 80%"}
exclusions:
  relief: {request_within: 30 days}
"""
UNCOMMITTED = (  # what the lock holder does and never commits (foreign keys are off there)
    "DELETE FROM relief_step",
    "DELETE FROM relief_request",
    "DELETE FROM run_attempt",
    "DELETE FROM run_ledger",
    "DELETE FROM evaluation_objective",
    "DELETE FROM evaluation_run",
    "DELETE FROM contract_version",
)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """acme-l1 with October's final result stored, a `shop` contract with a relief request,
    and one monthly run in the ledger, all committed."""
    path = tmp_path / "reads.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    shop = tmp_path / "shop.yaml"
    shop.write_text(SHOP, encoding="utf-8")
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml", shop])
    feed = tmp_path / "contacts.csv"
    feed.write_text(CONTACTS_CSV, encoding="utf-8")
    assert ingest_feed(engine, "acme-l1", "contacts", feed).stored == 3
    as_of = datetime.fromisoformat(AS_OF)
    assert run_evaluation(engine, "acme-l1", "2026-10", as_of=as_of).stored
    incident = ReliefAsked(
        "shop", datetime(2026, 10, 20, 6, tzinfo=UTC), datetime(2026, 10, 20, 8, tzinfo=UTC),
        ("phone",), None, "carrier outage", "ops.a",
    )  # fmt: skip
    request_relief(engine, incident, now=datetime(2026, 10, 21, tzinfo=UTC))
    assert claim(engine, "monthly", "2026-10", mode="once", now=as_of) is not None
    engine.dispose()
    return path


@pytest.fixture
def write_lock(database: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the write lock, as an ingest does, with changes it has not
    committed; rolled back at the end."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    for statement in UNCOMMITTED:
        holder.execute(statement)
    yield holder
    holder.execute("ROLLBACK")
    holder.close()


def answer(database: Path, *arguments: str) -> tuple[str, float]:
    """Run `slaengine ARGUMENTS` as a person does (busy timeout 3 s); its output and seconds."""
    environment = os.environ | {
        "SLAENGINE_DATABASE_URL": f"sqlite:///{database}?timeout=3",
        "SLAENGINE_CONFIG": str(ROOT / "config.toml"),
        "SLAENGINE_DATA_URL": str(database.with_suffix(".data")),
    }
    started = time.monotonic()
    done = subprocess.run(
        [SLAENGINE, *arguments], env=environment, capture_output=True, text=True, timeout=20,
        check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
    return done.stdout, time.monotonic() - started


def test_the_contract_list_answers_with_what_is_committed(
    database: Path, write_lock: sqlite3.Connection
) -> None:
    output, _ = answer(database, "contract", "list", "--json")
    assert [(item["id"], item["version"]) for item in json.loads(output)] == [
        ("acme-l1", 2),
        ("shop", 1),
    ]


def test_the_run_history_answers_with_what_is_committed(
    database: Path, write_lock: sqlite3.Connection
) -> None:
    output, _ = answer(database, "run", "history", "--json")
    runs = json.loads(output)
    assert [(run["job"], run["period"], run["outcome"]) for run in runs] == [
        ("monthly", "2026-10", "running")
    ]


def test_the_relief_list_answers_with_what_is_committed(
    database: Path, write_lock: sqlite3.Connection
) -> None:
    output, _ = answer(database, "relief", "list", "shop", "--json")
    found = json.loads(output)
    assert [(item["id"], item["status"], item["hours"]) for item in found] == [
        (1, "pending", "2.00")
    ]


def test_a_stored_month_is_evaluated_from_what_is_committed(
    database: Path, write_lock: sqlite3.Connection
) -> None:
    arguments = ["evaluate", "acme-l1", "--period", "2026-10", "--as-of", AS_OF, "--json"]
    output, _ = answer(database, *arguments)
    document = json.loads(output)
    assert (document["stored"], document["lifecycle"]) == (False, "final")
    phone = next(item for item in document["objectives"] if item["id"] == "phone-sl")
    assert (phone["numerator"], phone["denominator"]) == (1, 2)


def test_a_write_through_a_reading_engine_is_refused_and_the_writer_is_unaffected(
    database: Path,
) -> None:
    engine = make_engine(f"sqlite:///{database}")
    refused = pytest.raises(OperationalError, match="attempt to write a readonly database")
    with refused, reading(engine).begin() as connection:
        connection.execute(text("UPDATE run_ledger SET error = 'written'"))
    with engine.begin() as connection:  # the same pooled connection, writable again
        assert connection.execute(text("SELECT error FROM run_ledger")).scalars().all() == [None]
        connection.execute(text("UPDATE run_ledger SET error = 'written'"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT error FROM run_ledger")).scalars().all() == [
            "written"
        ]
    engine.dispose()


def test_the_schema_check_takes_the_write_lock_only_to_upgrade(database: Path) -> None:
    """At the head revision it reads without waiting; behind it, it waits for the writer (a
    timeout of 1 s here) rather than upgrading beside it."""
    engine = make_engine(f"sqlite:///{database}?timeout=1")
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    assert create_schema(engine) == []
    holder.execute("UPDATE alembic_version SET version_num = '0002_evaluation_lifecycle'")
    holder.execute("COMMIT")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StorageError, match="database is locked"):
        create_schema(engine)
    holder.execute("ROLLBACK")
    holder.close()
    engine.dispose()
