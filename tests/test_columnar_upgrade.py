"""Moving the contacts of a database made before the columnar store into the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
)
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.read import stored_rows
from slaengine.adapters.columnar.upgrade import upgrade_columnar_store
from slaengine.adapters.storage import feed_repo
from slaengine.adapters.storage.feed_store import FEED_FILE
from slaengine.services.contracts import load_contracts
from tests.conftest import CONTRACTS

OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
ARRIVED = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
OLD = MetaData()


def _contact_columns() -> list[Column[object]]:
    return [
        Column("id", Integer, primary_key=True),
        Column("contract_id", String(64)),
        Column("provider_id", String(64)),
        Column("contact_id", String(200)),
        Column("channel", String(16)),
        Column("queue", String(200)),
        Column("arrived_at_us", BigInteger, nullable=False),
        Column("answered_at_us", BigInteger),
        Column("abandoned_at_us", BigInteger),
        Column("handle_seconds", Float),
        Column("resolved_first_contact", Boolean),
        Column("csat", Integer),
        Column("nps", Integer),
        Column("file_id", Integer),
        Column("line", Integer),
    ]


CONTACT = Table("contact", OLD, *_contact_columns())
HISTORY = Table(
    "contact_history", OLD, *_contact_columns(),
    Column("replaced_by_file_id", Integer), Column("replaced_at_us", BigInteger),
)  # fmt: skip
INTERVAL = Table(
    "interval_row", OLD,
    Column("id", Integer, primary_key=True), Column("contract_id", String(64)),
    Column("interval_start_us", BigInteger, nullable=False),
    *[Column(name, Integer) for name in ("interval_minutes",)],
    Column("channel", String(16)), Column("queue", String(200)),
    *[Column(name, Integer) for name in (
        "offered", "answered", "abandoned", "abandoned_short", "answered_within_threshold",
        "threshold_seconds", "short_abandon_seconds",
    )],
    Column("wait_seconds_answered", Float), Column("handle_seconds", Float),
    Column("file_id", Integer), Column("line", Integer),
)  # fmt: skip


def us(moment: datetime) -> int:
    return feed_repo.us_of(moment)


def _file(sha: str, kind: str, received: datetime) -> dict[str, object]:
    return {
        "contract_id": "acme-l1", "provider_id": "acme", "kind": kind, "sha256": sha,
        "source": None, "file_name": f"{sha}.csv", "received_at_us": us(received), "rows": 2,
        "stored": 2, "quarantined": 0, "restated": 0, "reasons_json": "{}", "status": "stored",
    }  # fmt: skip


def _contact(contact_id: str, file_id: int, answered_s: int, **extra: object) -> dict[str, object]:
    return {
        "contract_id": "acme-l1", "provider_id": "acme", "contact_id": contact_id,
        "channel": "phone", "queue": "general", "arrived_at_us": us(ARRIVED),
        "answered_at_us": us(ARRIVED) + answered_s * 1_000_000, "abandoned_at_us": None,
        "handle_seconds": 200.0, "resolved_first_contact": True, "csat": 5, "nps": None,
        "file_id": file_id, "line": 2, **extra,
    }  # fmt: skip


@pytest.fixture
def old_database(engine: Engine) -> Engine:
    """The schema of today with the three tables of the old code, filled as it filled them:
    file 1 stored contacts a and b, file 2 restated b (answered later) and added c."""
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    OLD.create_all(engine)
    replaced = datetime(2026, 10, 3, 6, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(FEED_FILE), [
            _file("one", "contacts", datetime(2026, 10, 2, 6, 0, tzinfo=UTC)),
            _file("two", "contacts", replaced),
            _file("ivl", "intervals", replaced),
        ])  # fmt: skip
        connection.execute(insert(CONTACT), [
            _contact("a", 1, 12), _contact("b", 2, 40), _contact("c", 2, 5, csat=None),
        ])  # fmt: skip
        connection.execute(insert(HISTORY), [
            _contact("b", 1, 12, replaced_by_file_id=2, replaced_at_us=us(replaced))
        ])  # fmt: skip
        connection.execute(insert(INTERVAL), [{
            "contract_id": "acme-l1", "interval_start_us": us(ARRIVED), "interval_minutes": 15,
            "channel": "phone", "queue": "general", "offered": 10, "answered": 8,
            "abandoned": 2, "abandoned_short": 1, "answered_within_threshold": 7,
            "threshold_seconds": 20, "short_abandon_seconds": 5,
            "wait_seconds_answered": 80.0, "handle_seconds": 1600.0, "file_id": 3, "line": 2,
        }])  # fmt: skip
    return engine


def test_an_old_database_has_its_contacts_moved_into_the_store(
    old_database: Engine, tmp_path: Path
) -> None:
    with old_database.begin() as connection:
        moved = upgrade_columnar_store(connection)
    assert moved == 5
    assert stored_rows(old_database) == {"contacts": 3, "history": 1, "intervals": 1}
    assert not {"contact", "contact_history", "interval_row"} & set(
        inspect(old_database).get_table_names()
    )
    frame = feed_repo.contacts_frame(old_database, "acme-l1", *OCTOBER)
    assert frame.select("contact_id", "csat", "resolved_first_contact").rows() == [
        ("a", 5, True), ("b", 5, True), ("c", None, True),
    ]  # fmt: skip
    assert frame.get_column("answered_at").to_list()[1] == datetime(
        2026, 10, 1, 6, 0, 40, tzinfo=UTC
    )
    found = feed_repo.restatements(old_database, "acme-l1", *OCTOBER)
    assert [(r.contact_id, r.old_file_sha256, r.new_file_sha256) for r in found] == [
        ("b", "one", "two")
    ]
    files = feed_repo.feed_files_for_period(old_database, "acme-l1", *OCTOBER)
    assert [f.sha256 for f in files] == ["one", "two", "ivl"]
    intervals = feed_repo.intervals_frame(old_database, "acme-l1", *OCTOBER)
    assert intervals.select("offered", "answered", "wait_seconds_answered").rows() == [
        (10, 8, 80.0)
    ]
    with old_database.begin() as connection:
        assert upgrade_columnar_store(connection) == 0  # done once: nothing left to move


def test_the_alembic_revision_moves_an_old_database_on_first_use(old_database: Engine) -> None:
    from sqlalchemy import text

    from slaengine.adapters.storage.engine import create_schema

    with old_database.begin() as connection:
        connection.execute(
            text("UPDATE alembic_version SET version_num = '0002_evaluation_lifecycle'")
        )
    assert create_schema(old_database) == ["0003_columnar_store", "0004_run_ledger"]
    assert stored_rows(old_database) == {"contacts": 3, "history": 1, "intervals": 1}
    assert "contact" not in inspect(old_database).get_table_names()
    assert create_schema(old_database) == []
