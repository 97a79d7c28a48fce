"""Schema migrations (Alembic): fresh databases are stamped, old ones upgraded, newer refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from slaengine.adapters.storage import migrations
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.migrations import BASELINE, current_revision, head_revision
from slaengine.cli import main
from slaengine.errors import StorageError

_PROBE_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "9999_probe"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("probe_revision", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO probe_revision (id) VALUES (1)")
"""


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return current_revision(connection)


def tables_of(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.fixture
def probe_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped revisions plus one more that creates a table and inserts a row."""
    copy = tmp_path / "revisions"
    shutil.copytree(migrations.REVISIONS, copy)
    (copy / "versions" / "9999_probe.py").write_text(_PROBE_REVISION.format(down=head_revision()))
    monkeypatch.setattr(migrations, "REVISIONS", copy)


def legacy_database(engine: Engine, step: int) -> None:
    """A database as the numbered-step scheme before Alembic left it, with one stored row."""
    SQLModel.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE schema_migration (step INTEGER PRIMARY KEY,"
                " description VARCHAR(200) NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO schema_migration VALUES (:step, 'baseline schema',"
                " '2026-10-01 00:00:00')"
            ),
            {"step": step},
        )
        connection.execute(
            text(
                "INSERT INTO contract_version (contract_id, version, provider_id, activity,"
                " sourcing, effective_from, file_hash, source_path, raw_text, spec_json,"
                " loaded_at) VALUES ('acme-l1', 2, 'acme', 'l1', 'outsourced', '2026-01-01',"
                " 'abc', 'a.yaml', 'x', '{}', '2026-10-01 00:00:00')"
            )
        )


def test_a_fresh_database_is_stamped_with_the_head_revision(engine: Engine) -> None:
    assert revision_of(engine) == head_revision()
    assert "contract_version" in tables_of(engine)


def test_running_the_migrations_again_changes_nothing(engine: Engine) -> None:
    assert create_schema(engine) == []
    assert revision_of(engine) == head_revision()


def test_a_database_from_a_newer_slaengine_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StorageError, match="revision 9999_future, newer than this slaengine"):
        create_schema(engine)


def test_a_new_revision_runs_once_on_an_existing_database(
    engine: Engine, probe_revisions: None
) -> None:
    assert create_schema(engine) == ["9999_probe"]
    assert create_schema(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM probe_revision")).scalar() == 1
    assert revision_of(engine) == "9999_probe"


def test_a_fresh_database_is_stamped_without_running_revisions(
    tmp_path: Path, probe_revisions: None
) -> None:
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert create_schema(fresh) == []
    assert revision_of(fresh) == "9999_probe"
    assert "probe_revision" not in tables_of(fresh)
    fresh.dispose()


def test_a_database_from_the_numbered_scheme_moves_to_alembic_keeping_its_data(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    legacy_database(engine, step=1)
    create_schema(engine)
    assert revision_of(engine) == head_revision()
    assert "schema_migration" not in tables_of(engine)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM contract_version")).scalar()
    assert count == 1
    engine.dispose()


def test_a_numbered_scheme_database_newer_than_this_code_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'legacy.db'}")
    legacy_database(engine, step=7)
    with pytest.raises(StorageError, match="step 7, newer than this slaengine"):
        create_schema(engine)
    assert revision_of(engine) is None
    engine.dispose()


def test_db_upgrade_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    env = {"SLAENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"], env=env)
    assert first.exit_code == 0, first.output
    assert first.output == f"created the database schema at revision {head_revision()}\n"
    second = runner.invoke(main, ["db", "upgrade", "--json"], env=env)
    assert json.loads(second.output) == {
        "before": head_revision(),
        "applied": [],
        "revision": head_revision(),
    }
    current = runner.invoke(main, ["db", "current"], env=env)
    assert current.output.startswith(f"database: {head_revision()}; this slaengine:")


def test_db_upgrade_refuses_a_newer_database_with_a_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"SLAENGINE_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "newer than this slaengine knows" in result.output
    assert BASELINE  # the baseline id is part of the public migration API


def test_an_evaluation_table_from_before_the_lifecycle_gains_its_columns(engine: Engine) -> None:
    with engine.begin() as connection:
        for column in ("lifecycle", "settles_at", "inputs_json"):
            connection.execute(text(f"ALTER TABLE evaluation_run DROP COLUMN {column}"))
        connection.execute(text(f"UPDATE alembic_version SET version_num = '{BASELINE}'"))
    assert create_schema(engine)[0] == "0002_evaluation_lifecycle"
    columns = {column["name"] for column in inspect(engine).get_columns("evaluation_run")}
    assert {"lifecycle", "settles_at", "inputs_json"} <= columns
    assert revision_of(engine) == head_revision()


def test_db_commands_say_when_the_server_cannot_be_reached() -> None:
    env = {"SLAENGINE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    for command in ("upgrade", "current"):
        result = CliRunner().invoke(main, ["db", command], env=env)
        assert result.exit_code == 1
        assert result.output.startswith("error: cannot reach the database:")


def test_runs_recorded_before_attempts_were_kept_get_one_attempt_each(engine: Engine) -> None:
    from datetime import UTC, datetime

    from slaengine.adapters.storage import run_repo

    started = datetime(2026, 11, 2, 7, tzinfo=UTC)
    run = run_repo.start_run(
        engine, "monthly_close", "2026-10", generation=0, forced=False, now=started
    )
    assert run is not None
    run_repo.finish_run(
        engine, run.id, outcome="failed", counts={"contracts": 2}, error="boom",
        now=datetime(2026, 11, 2, 7, 0, 17, tzinfo=UTC),
    )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0003_columnar_store'"))
    ran = create_schema(engine)  # 0004, then any later revision
    assert ran[0] == "0004_run_ledger" and ran[-1] == head_revision()
    [attempt] = run_repo.attempts_of(engine, run.id)
    assert (attempt.kind, attempt.outcome, attempt.counts, attempt.error) == (
        "first", "failed", {"contracts": 2}, "boom",
    )  # fmt: skip
    assert (attempt.finished_at - attempt.started_at).total_seconds() == 17
    assert create_schema(engine) == [] and len(run_repo.attempts_of(engine, run.id)) == 1


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert migrations.shipped_head() == head_revision()


def test_the_head_read_from_the_files_follows_a_new_revision(probe_revisions: None) -> None:
    assert migrations.shipped_head() == head_revision() == "9999_probe"
