"""Schema migrations: a fresh database is stamped, re-running changes nothing, newer is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.migrations import STEPS, migrate, schema_migration
from slaengine.errors import StorageError


def applied_steps(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(schema_migration.c.step)).scalars())


def test_a_fresh_database_is_stamped_with_every_step(engine: Engine) -> None:
    assert applied_steps(engine) == [number for number, _, _ in STEPS]


def test_running_the_migrations_again_changes_nothing(engine: Engine) -> None:
    assert migrate(engine) == []
    create_schema(engine)
    assert applied_steps(engine) == [number for number, _, _ in STEPS]


def test_a_database_from_a_newer_slaengine_is_refused(engine: Engine) -> None:
    newest = max(number for number, _, _ in STEPS)
    with engine.begin() as connection:
        connection.execute(
            schema_migration.insert().values(
                step=newest + 1, description="from the future", applied_at=datetime.now(UTC)
            )
        )
    with pytest.raises(StorageError, match=f"schema is at step {newest + 1}, newer than"):
        create_schema(engine)


def test_a_new_step_runs_on_an_existing_database_and_is_stamped_on_a_fresh_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.adapters.storage import migrations

    ran: list[str] = []
    step = (len(STEPS) + 1, "add a column", lambda connection: ran.append("ran"))
    monkeypatch.setattr(migrations, "STEPS", (*STEPS, step))
    create_schema(engine)  # existing database: the new step runs once
    create_schema(engine)
    assert ran == ["ran"]
    assert applied_steps(engine)[-1] == len(STEPS) + 1


def test_a_fresh_database_records_new_steps_without_running_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.adapters.storage import migrations

    ran: list[str] = []
    step = (len(STEPS) + 1, "add a column", lambda connection: ran.append("ran"))
    monkeypatch.setattr(migrations, "STEPS", (*STEPS, step))
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    create_schema(fresh)  # the tables already have the new shape: nothing to alter
    assert ran == []
    assert applied_steps(fresh) == [*(number for number, _, _ in STEPS), len(STEPS) + 1]
    fresh.dispose()
