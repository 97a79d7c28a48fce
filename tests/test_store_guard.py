"""The store's guards (issue 21): the sweep and the ingests exclude each other by a lock in the
catalogue, an ingest commits only parts that exist, a store belongs to one catalogue, every read
survives a part retired meanwhile. Timing windows are opened by pausing at a fault-injection
point (a wrapped function), never by sleeping and hoping."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar import read
from slaengine.adapters.columnar import sweep as sweep_module
from slaengine.adapters.columnar.guard import MARKER
from slaengine.adapters.columnar.location import data_location, open_store
from slaengine.adapters.columnar.store import PART
from slaengine.adapters.columnar.sweep import sweep
from slaengine.adapters.storage import feed_repo, feed_store
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.errors import StorageError
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


@pytest.fixture
def acme(engine: Engine) -> Engine:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    return engine


def registered_paths(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(str(p) for p in connection.execute(select(PART.c.path)).scalars())


def missing_parts(engine: Engine) -> list[str]:
    store = open_store(engine)
    return [p for p in registered_paths(engine) if not store.fs.exists(store.full(p))]


def csat_of(engine: Engine) -> dict[str, int]:
    frame = feed_repo.contacts_frame(engine, "acme-l1", *OCTOBER)
    return dict(zip(frame.get_column("contact_id"), frame.get_column("csat"), strict=True))


class Paused:
    """An ingestion in a thread, stopped after its parts are written and registered and
    before its transaction commits (`FeedWrite.finish` wrapped)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, ingest: Callable[[], Any]) -> None:
        self.reached, self.release = threading.Event(), threading.Event()
        self.errors: list[BaseException] = []
        finish = feed_store.FeedWrite.finish

        def finish_then_wait(write: feed_store.FeedWrite, filled: Any) -> Any:
            stored = finish(write, filled)
            self.reached.set()
            assert self.release.wait(60)
            return stored

        monkeypatch.setattr(feed_store.FeedWrite, "finish", finish_then_wait)
        self.thread = threading.Thread(target=self._run, args=(ingest,))
        self.thread.start()
        assert self.reached.wait(60), self.errors

    def _run(self, ingest: Callable[[], Any]) -> None:
        try:
            ingest()
        except BaseException as error:  # reported by the test
            self.errors.append(error)
            self.reached.set()

    def resume(self) -> None:
        self.release.set()
        self.thread.join(60)
        assert not self.thread.is_alive() and not self.errors, self.errors


def test_a_sweep_during_a_correction_removes_none_of_its_parts(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [contact("a", csat="3"), contact("b", csat="4")]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", rows))
    fix = write_csv(tmp_path / "fix.csv", [contact("a", csat="5")])
    paused = Paused(monkeypatch, lambda: ingest_feed(acme, "acme-l1", "contacts", fix))
    swept: list[list[str]] = []
    sweeper = threading.Thread(target=lambda: swept.append(sweep(acme, grace_seconds=0)))
    sweeper.start()
    sweeper.join(2.0)  # unguarded, the sweep deleted the unregistered new parts by now
    paused.resume()
    sweeper.join(60)
    assert swept and not sweeper.is_alive()
    assert missing_parts(acme) == []
    assert csat_of(acme) == {"a": 5, "b": 4}
    assert not set(swept[0]) & set(registered_paths(acme))


def test_a_sweep_gives_up_removing_nothing_while_an_ingest_holds_the_store(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "a.csv", [contact("a")])
    paused = Paused(monkeypatch, lambda: ingest_feed(acme, "acme-l1", "contacts", path))
    written = sorted(str(p) for p in Path(data_location(acme)).rglob("*.parquet"))
    assert written  # the paused ingestion's parts, not yet committed
    with pytest.raises(StorageError, match=r"still writing to the store after 0.3 s"):
        sweep(acme, grace_seconds=0, wait_seconds=0.3)
    assert sorted(str(p) for p in Path(data_location(acme)).rglob("*.parquet")) == written
    paused.resume()
    assert missing_parts(acme) == [] and csat_of(acme) == {"a": 5}


def test_an_ingest_whose_parts_vanish_before_it_commits_stores_nothing(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish = feed_store.FeedWrite.finish

    def finish_then_lose_a_part(write: feed_store.FeedWrite, filled: Any) -> Any:
        stored = finish(write, filled)
        write.store.remove(write.changes.written[:1])  # as an unguarded sweep would
        return stored

    monkeypatch.setattr(feed_store.FeedWrite, "finish", finish_then_lose_a_part)
    path = write_csv(tmp_path / "a.csv", [contact("a")])
    with pytest.raises(StorageError, match=r"1 Parquet file\(s\) this ingestion wrote disappe"):
        ingest_feed(acme, "acme-l1", "contacts", path)
    assert feed_repo.feed_files(acme, "acme-l1") == [] and registered_paths(acme) == []
    monkeypatch.setattr(feed_store.FeedWrite, "finish", finish)
    assert ingest_feed(acme, "acme-l1", "contacts", path).stored == 1  # not "unchanged"


def test_the_sweep_asks_the_registry_again_before_each_removal(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: the sweep holds the write lock, no one can register meanwhile")
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    store = open_store(acme)
    late = "contacts/provider=acme/month=2026-10/part-00000009-late.parquet"
    store.fs.copy(store.full(registered_paths(acme)[0]), store.full(late))
    listed = sweep_module._unregistered

    def listed_then_registered(*arguments: Any) -> Any:
        found = list(listed(*arguments))
        assert found == [late]
        with acme.begin() as other:  # a writer that does not take the store lock
            row = {"kind": "contacts", "contract_id": "acme-l1", "provider_id": "acme",
                   "month": "2026-10", "file_id": 1, "path": late, "rows": 1, "first_us": 0,
                   "last_us": 0}  # fmt: skip
            other.execute(insert(PART).values(row))
        return iter(found)

    monkeypatch.setattr(sweep_module, "_unregistered", listed_then_registered)
    assert sweep(acme, grace_seconds=0) == []
    assert store.fs.exists(store.full(late))


def test_a_read_survives_a_correction_retiring_the_part_it_was_told_of(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = {"arrived_at": "2026-10-20T09:00:00+02:00", "answered": "2026-10-20T09:00:10+02:00"}
    rows = [contact("a"), contact("b", **late)]
    first = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", rows))
    fix = write_csv(tmp_path / "fix.csv", [contact("a", csat="5")])
    listed = read._parts
    calls: list[int] = []

    def listed_then_retired(*arguments: Any) -> Any:
        found = listed(*arguments)
        calls.append(len(found))
        if len(calls) == 1:  # a re-send commits between the registry read and the scan
            ingest_feed(acme, "acme-l1", "contacts", fix)
        return found

    monkeypatch.setattr(read, "_parts", listed_then_retired)
    half = (OCTOBER[0], datetime(2026, 10, 15, tzinfo=UTC))  # the part runs past it: scanned
    found = feed_repo.feed_files_for_period(acme, "acme-l1", *half)
    # contacts: told of the retired part, then again; intervals: no part overlaps, answered
    # from the registry without a read (feed_repo._part_file_ids)
    assert calls == [1, 1]
    assert [record.id for record in found] == [first.file_id + 1]  # "a" is the fix's now


def test_a_store_of_another_catalogue_is_refused_by_ingest_and_sweep(
    acme: Engine, tmp_path: Path
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")  # same SLAENGINE_DATA_URL
    create_schema(other)
    load_contracts(other, [CONTRACTS / "acme-l1.yaml"])
    try:
        with pytest.raises(StorageError, match=r"belongs to another catalogue \(.*\), not to"):
            sweep(other, grace_seconds=0)
        with pytest.raises(StorageError, match=r"belongs to another catalogue"):
            ingest_feed(other, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", [contact("b")]))
        assert feed_repo.feed_files(other, "acme-l1") == []
    finally:
        other.dispose()
    assert missing_parts(acme) == [] and csat_of(acme) == {"a": 5}
    mark = json.loads((Path(data_location(acme)) / MARKER).read_text())
    assert set(mark) == {"catalogue", "database"} and len(mark["catalogue"]) == 32


def test_an_unmarked_store_holding_only_foreign_parts_is_not_claimed(
    engine: Engine, tmp_path: Path
) -> None:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    foreign = Path(data_location(engine)) / "contacts" / "provider=x" / "month=2026-10"
    foreign.mkdir(parents=True)
    (foreign / "part-00000001-abc.parquet").write_bytes(b"PAR1")
    with pytest.raises(StorageError, match=r"holds Parquet files, none of which .* registers"):
        sweep(engine, grace_seconds=0)
    assert (foreign / "part-00000001-abc.parquet").exists()
    assert not (Path(data_location(engine)) / MARKER).exists()


def test_two_sqlite_catalogues_in_one_folder_get_a_store_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.cli import main

    monkeypatch.delenv("SLAENGINE_DATA_URL")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLAENGINE_CONFIG", str(tmp_path / "absent.toml"))
    (tmp_path / "absent.toml").write_text("")
    feed = write_csv(tmp_path / "a.csv", [contact("a")])
    runner = CliRunner()
    for name in ("demo.db", "slaengine.db"):
        monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / name}")
        loaded = runner.invoke(main, ["contract", "load", str(CONTRACTS / "acme-l1.yaml")])
        assert loaded.exit_code == 0, loaded.output
        if name == "demo.db":
            ingested = runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(feed)])
            assert ingested.exit_code == 0, ingested.output
    result = runner.invoke(main, ["storage", "sweep", "--grace", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "location": str(tmp_path / "slaengine.data"),
        "removed": [],
    }
    demo_parts = list((tmp_path / "demo.data").rglob("*.parquet"))
    assert len(demo_parts) == 1 and not (tmp_path / "data").exists()


def test_a_relative_data_folder_is_the_configuration_files_on_every_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.config import load_settings

    folder = tmp_path / "etc"
    folder.mkdir()
    config = folder / "config.toml"
    server = 'url = "postgresql+psycopg://u@h/db"'
    config.write_text(f'[database]\n{server}\n[storage]\ndata = "parquet"\n')
    monkeypatch.chdir(tmp_path)
    assert load_settings({"SLAENGINE_CONFIG": str(config)}).data_location == str(folder / "parquet")
    config.write_text(f"[database]\n{server}\n")
    assert load_settings({"SLAENGINE_CONFIG": str(config)}).data_location == str(folder / "data")
    config.write_text('[database]\nurl = "sqlite:///demo.db"\n')
    settings = load_settings({"SLAENGINE_CONFIG": str(config)})
    engine = make_engine(settings.database_url)
    monkeypatch.delenv("SLAENGINE_DATA_URL")
    assert data_location(engine) == str(folder / "demo.data")
    engine.dispose()


def test_the_cli_refuses_a_store_of_another_catalogue_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.cli import main

    shared = tmp_path / "shared"
    feed = write_csv(tmp_path / "a.csv", [contact("a")])
    runner = CliRunner()
    outcomes = []
    for name in ("one.db", "two.db"):
        config = tmp_path / f"{name}.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{name}"\n[storage]\ndata = "shared"\n')
        monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
        monkeypatch.delenv("SLAENGINE_DATA_URL", raising=False)
        runner.invoke(main, ["contract", "load", str(CONTRACTS / "acme-l1.yaml")])
        outcomes.append(runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(feed)]))
        outcomes.append(runner.invoke(main, ["storage", "sweep", "--grace", "0"]))
    assert [result.exit_code for result in outcomes] == [0, 0, 1, 1]
    for result in outcomes[2:]:
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"error: the data location {shared} belongs to another catalogue" in result.output
    assert len(list(shared.rglob("*.parquet"))) == 1


def test_the_store_lock_keys_do_not_meet_the_provider_locks(
    acme: Engine, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's")
    with acme.begin() as connection:
        feed_store._lock_provider(connection, "acme")
        from slaengine.adapters.columnar.guard import hold_shared

        hold_shared(connection)
        mine = "locktype = 'advisory' AND pid = pg_backend_pid()"
        query = f"SELECT objsubid FROM pg_locks WHERE {mine} ORDER BY objsubid"
        kinds = connection.execute(text(query)).scalars()
        assert list(kinds) == [1, 2]  # one bigint key space, one two-int key space
