"""SQLite with several writers at once: real `slaengine` processes wait for the write lock and
give the sequential result; a database error is one line, never a traceback with parameters."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from slaengine.adapters.storage.engine import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    create_schema,
    database_failure,
    make_engine,
)
from tests.conftest import CONTRACTS, ROOT

SLAENGINE = str(ROOT / ".venv" / "bin" / "slaengine")
EVALUATE = ["evaluate", "acme-l1", "--period", "2026-10", "--as-of", "2026-11-20T00:00:00+01:00"]


def contacts_csv(path: Path, prefix: str, count: int) -> Path:
    """`count` phone contacts in October 2026, one in ten abandoned after 30 s."""
    lines = ["contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds"]
    start = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
    for i in range(count):
        arrived = start + timedelta(seconds=(i * 37) % (29 * 86400))
        if i % 10 == 0:
            ended = (arrived + timedelta(seconds=30)).isoformat()
            lines.append(f"{prefix}{i},phone,general,{arrived.isoformat()},,{ended},")
        else:
            answered = (arrived + timedelta(seconds=i % 40)).isoformat()
            lines.append(
                f"{prefix}{i},phone,general,{arrived.isoformat()},{answered},,{100 + i % 300}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


def environment(database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SLAENGINE_DATABASE_URL": f"sqlite:///{database}",
        "SLAENGINE_CONFIG": str(ROOT / "config.toml"),
        "SLAENGINE_DATA_URL": str(database.with_suffix(".data")),  # a store per catalogue
    }


def run(env: dict[str, str], *args: str) -> Result:
    """In this process (a new one costs seconds of imports): for set-ups and baselines."""
    from slaengine.cli import main

    keys = ("SLAENGINE_DATABASE_URL", "SLAENGINE_CONFIG", "SLAENGINE_DATA_URL")
    return CliRunner().invoke(main, list(args), env={key: env[key] for key in keys})


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SLAENGINE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def prepared(database: Path) -> dict[str, str]:
    env = environment(database)
    loaded = run(env, "contract", "load", str(CONTRACTS / "acme-l1.yaml"))
    assert loaded.exit_code == 0, loaded.output
    return env


def phone_sl(evaluation_json: str) -> tuple[int, int]:
    evaluation = json.loads(evaluation_json)
    objective = next(o for o in evaluation["objectives"] if o["id"] == "phone-sl")
    return objective["numerator"], objective["denominator"]


def objectives(evaluation_json: str) -> list[tuple[str, object, object, object]]:
    evaluation = json.loads(evaluation_json)
    return [
        (o["id"], o["status"], o["numerator"], o["denominator"]) for o in evaluation["objectives"]
    ]


def contact_count(database: Path) -> int:
    """Contacts the catalogue registers (the rows live in the columnar store)."""
    from slaengine.adapters.columnar.read import stored_rows

    engine = make_engine(f"sqlite:///{database}")
    try:
        return stored_rows(engine)["contacts"]
    finally:
        engine.dispose()


def test_two_ingests_and_an_evaluation_at_once_all_finish_with_the_sequential_result(
    tmp_path: Path,
) -> None:
    first = contacts_csv(tmp_path / "a.csv", "a", 10_000)
    second = contacts_csv(tmp_path / "b.csv", "b", 10_000)
    sequential_db, concurrent_db = tmp_path / "sequential.db", tmp_path / "concurrent.db"
    env = prepared(sequential_db)
    offered_after = [0]  # phone-sl's denominator before, between and after the two files
    for path in (first, second):
        assert run(env, "feed", "ingest", "acme-l1", "contacts", str(path)).exit_code == 0
        expected = run(env, *EVALUATE, "--json")
        assert expected.exit_code == 0, expected.output
        offered_after.append(phone_sl(expected.stdout)[1])
    # the files hold the same arrival times: either one alone gives the middle figure
    assert 0 < offered_after[1] < offered_after[2] == 2 * offered_after[1]

    env = prepared(concurrent_db)
    holder = sqlite3.connect(concurrent_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # every process below must wait for the write lock
    processes = [
        start(env, "feed", "ingest", "acme-l1", "contacts", str(first)),
        start(env, "feed", "ingest", "acme-l1", "contacts", str(second)),
        start(env, *EVALUATE, "--json"),
    ]
    time.sleep(2.0)
    assert [process.poll() for process in processes] == [None, None, None]
    holder.execute("ROLLBACK")
    holder.close()
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert [stderr for _, stderr in outputs] == ["", "", ""]
    # The evaluation ran before, between or after the ingests: never on half a file.
    _, offered = phone_sl(outputs[2][0])
    assert offered in offered_after
    assert contact_count(concurrent_db) == contact_count(sequential_db) == 20_000
    again = run(env, *EVALUATE, "--json")
    assert objectives(again.stdout) == objectives(expected.stdout)
    assert phone_sl(again.stdout) == phone_sl(expected.stdout) != (0, 0)


def test_a_writer_waits_for_a_long_write_instead_of_failing(tmp_path: Path) -> None:
    database = tmp_path / "w.db"
    env = prepared(database)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    process = start(env, *EVALUATE)
    time.sleep(6.0)  # longer than sqlite3's default 5 s busy timeout
    assert process.poll() is None
    holder.execute("ROLLBACK")
    holder.close()
    stdout, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr) == (0, "")
    assert "phone-sl" in stdout


def test_the_busy_timeout_is_ten_minutes_unless_the_url_says_otherwise(tmp_path: Path) -> None:
    assert SQLITE_BUSY_TIMEOUT_SECONDS == 600.0
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    short = make_engine(f"sqlite:///{tmp_path / 'b.db'}?timeout=2")
    with engine.connect() as connection, short.connect() as other:
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 600_000
        assert other.execute(text("PRAGMA busy_timeout")).scalar() == 2_000
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
    short.dispose()


def test_a_database_error_is_one_line_without_parameters(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    env = prepared(database)
    engine = make_engine(f"sqlite:///{database}")
    create_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON evaluation_run "
            "BEGIN SELECT RAISE(ABORT, 'evaluations are frozen'); END"
        )
    engine.dispose()
    result = run(env, *EVALUATE)
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the database refused the operation (IntegrityError: evaluations are frozen); "
        "nothing was changed\n"
    )


def test_a_lock_held_past_the_timeout_says_so_in_words() -> None:
    locked = sqlite3.OperationalError("database is locked")
    from sqlalchemy.exc import OperationalError

    error = OperationalError("INSERT INTO x VALUES (?)", ("provider data",), locked)
    message = database_failure(error)
    assert message == (
        "the database stayed locked by another slaengine process for longer than the wait "
        "allowed (timeout in the SQLite URL); nothing was changed: run the command again"
    )
    assert database_failure(ValueError("not a database error")) is None


@pytest.mark.parametrize("url_suffix", ["", "?timeout=1"])
def test_the_engine_hides_parameters_in_its_errors(tmp_path: Path, url_suffix: str) -> None:
    from sqlalchemy.exc import DBAPIError

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}{url_suffix}")
    with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
        connection.execute(text("INSERT INTO missing VALUES (:v)"), {"v": "SECRET-VALUE"})
    assert "SECRET-VALUE" not in str(caught.value)
    engine.dispose()


def test_on_sqlite_no_other_writer_can_store_while_a_load_is_in_its_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SQLite side of test_a_version_stored_meanwhile_by_another_process_is_a_conflict."""
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    from slaengine.services import contracts as service
    from slaengine.services.contracts import list_contracts, load_contracts

    database = tmp_path / "race.db"
    engine = make_engine(f"sqlite:///{database}")
    create_schema(engine)
    impatient = make_engine(f"sqlite:///{database}?timeout=0.5")  # the other process
    original = service._store_one
    refused: list[str] = []

    def racing(session: Session, spec_file: Any, now: Any) -> Any:
        outcome = original(session, spec_file, now)
        with pytest.raises(OperationalError) as caught, Session(impatient) as other:
            other.add(service._to_row(spec_file, spec_file.spec, now))
            other.commit()
        refused.append(str(caught.value.orig))
        return outcome

    monkeypatch.setattr(service, "_store_one", racing)
    [outcome] = load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    assert (outcome.status, refused) == ("stored", ["database is locked"])
    assert [(c.contract.id, c.contract.version) for c in list_contracts(engine)] == [("acme-l1", 2)]
    engine.dispose()
    impatient.dispose()
