"""Shared fixtures: one test suite over every storage backend, real data when present."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from slaengine.adapters.storage.engine import create_schema, make_engine

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
SHARED_DATA = ROOT.parent / "shared" / "data"
POSTGRES_ENV = "SLAENGINE_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return None
    return url


# What a test reads of the person's environment: the test database's server and the fuzzing
# depth. Every other SLAENGINE_ setting is theirs (the README has a newcomer export
# SLAENGINE_DATABASE_URL after `make demo`): no test may see it.
_TEST_SETTINGS = (POSTGRES_ENV, "SLAENGINE_FUZZ_EXAMPLES")


@pytest.fixture(autouse=True)
def _data_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the person running the tests, and each test's Parquet files under its
    own folder (several databases share no store)."""
    for name in list(os.environ):
        if name.startswith("SLAENGINE_") and name not in _TEST_SETTINGS:
            monkeypatch.delenv(name)
    monkeypatch.setenv("SLAENGINE_DATA_URL", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server, or skip saying why."""
    url = _postgres_admin_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
    try:
        probe = create_engine(url)
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
    except Exception as error:  # any connection failure means: no server here
        pytest.skip(f"no PostgreSQL server answers at {make_url(url).render_as_string()}: {error}")
    return url


def _fresh_postgres_database(admin_url: str) -> Iterator[str]:
    name = f"slaengine_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file always, PostgreSQL where a server answers."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    admin_url = request.getfixturevalue("postgres_server")
    yield from _fresh_postgres_database(admin_url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with the whole schema created."""
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite engine only, for tests that are about something other than storage."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real contact-centre data), or skip saying why."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it is not shipped with the repo)")
    return SHARED_DATA
