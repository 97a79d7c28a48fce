"""The columnar contact store: Parquet parts registered in SQL, superseded at ingest, swept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.guard import MARKER
from slaengine.adapters.columnar.location import data_location, open_store
from slaengine.adapters.columnar.read import stored_rows
from slaengine.adapters.columnar.store import PART
from slaengine.adapters.columnar.sweep import sweep
from slaengine.adapters.storage import feed_repo, feed_store
from slaengine.errors import StorageError
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
RECEIVED = datetime(2026, 10, 2, 6, 0, tzinfo=UTC)
LATER = datetime(2026, 10, 3, 6, 0, tzinfo=UTC)
NOVEMBER_ARRIVAL = "2026-11-02T09:00:00+01:00"
NOVEMBER_ANSWER = "2026-11-02T09:00:10+01:00"


@pytest.fixture
def acme(engine: Engine) -> Engine:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml", CONTRACTS / "nordline-overflow.yaml"])
    return engine


def parts(engine: Engine) -> list[tuple[str, str, int, int]]:
    """(kind, path, file id, rows) of every registered part."""
    query = select(PART.c.kind, PART.c.path, PART.c.file_id, PART.c.rows).order_by(PART.c.id)
    with engine.connect() as connection:
        return [(str(k), str(p), int(f), int(n)) for k, p, f, n in connection.execute(query)]


def files_on_disk(engine: Engine) -> list[str]:
    root = Path(data_location(engine))
    found = (p for p in root.rglob("*") if p.is_file() and p.name != MARKER)
    return sorted(str(p.relative_to(root)) for p in found)


def ids(engine: Engine, period: tuple[datetime, datetime] = OCTOBER) -> list[str]:
    return feed_repo.contacts_frame(engine, "acme-l1", *period).get_column("contact_id").to_list()


def test_a_file_is_stored_as_one_part_per_provider_month_that_duckdb_reads(
    acme: Engine, tmp_path: Path
) -> None:
    rows = [
        contact("a"),
        contact("b"),
        contact("c", arrived_at=NOVEMBER_ARRIVAL, answered=NOVEMBER_ANSWER),
    ]
    report = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "c.csv", rows))
    found = parts(acme)
    assert [(kind, path.split("/")[:3], n) for kind, path, _, n in found] == [
        ("contacts", ["contacts", "provider=acme", "month=2026-10"], 2),
        ("contacts", ["contacts", "provider=acme", "month=2026-11"], 1),
    ]
    assert {file_id for _, _, file_id, _ in found} == {report.file_id}
    assert files_on_disk(acme) == sorted(path for _, path, _, _ in found)
    glob = f"{data_location(acme)}/contacts/*/*/*.parquet"
    counted = duckdb.sql(
        f"SELECT provider, month, count(*)::BIGINT AS n FROM read_parquet('{glob}',"
        " hive_partitioning = true) GROUP BY ALL ORDER BY month"
    ).fetchall()
    assert counted == [("acme", "2026-10", 2), ("acme", "2026-11", 1)]
    assert ids(acme) == ["a", "b"]
    assert ids(acme, NOVEMBER) == ["c"]


def test_a_month_sent_again_with_new_values_replaces_the_old_part_and_keeps_history(
    acme: Engine, tmp_path: Path
) -> None:
    first = [contact(str(n)) for n in range(5)]
    again = [contact(str(n), answered="2026-10-01T08:00:30+02:00") for n in range(5)]
    old = ingest_feed(
        acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", first), received_at=RECEIVED
    )
    new = ingest_feed(
        acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", again), received_at=LATER
    )
    assert new.restated == 5
    assert sorted((kind, file_id, n) for kind, _, file_id, n in parts(acme)) == [
        ("contacts", new.file_id, 5),
        ("history", new.file_id, 5),
    ]
    frame = feed_repo.contacts_frame(acme, "acme-l1", *OCTOBER)
    assert frame.get_column("answered_at").unique().to_list() == [
        datetime(2026, 10, 1, 6, 0, 30, tzinfo=UTC)
    ]
    found = feed_repo.restatements(acme, "acme-l1", *OCTOBER)
    assert [(r.contact_id, r.old_file_sha256, r.new_file_sha256) for r in found] == [
        (str(n), old.sha256, new.sha256) for n in range(5)
    ]
    assert len(files_on_disk(acme)) == 2  # the retired part is gone from the disk too


def test_a_one_row_correction_rewrites_only_that_row_out_of_the_stored_part(
    acme: Engine, tmp_path: Path
) -> None:
    first = [contact(str(n)) for n in range(4)]
    old = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", first))
    fix = [contact("2", csat="1")]
    new = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", fix))
    assert new.restated == 1
    assert sorted((kind, file_id, n) for kind, _, file_id, n in parts(acme)) == [
        ("contacts", old.file_id, 3),
        ("contacts", new.file_id, 1),
        ("history", new.file_id, 1),
    ]
    frame = feed_repo.contacts_frame(acme, "acme-l1", *OCTOBER).sort("contact_id")
    assert frame.get_column("csat").to_list() == [5, 5, 1, 5]
    files = feed_repo.feed_files_for_period(acme, "acme-l1", *OCTOBER)
    assert [f.file_name for f in files] == ["a.csv", "b.csv"]


def test_a_contact_restated_into_another_month_leaves_the_first_month(
    acme: Engine, tmp_path: Path
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    moved = [contact("a", arrived_at=NOVEMBER_ARRIVAL, answered=NOVEMBER_ANSWER)]
    report = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", moved))
    assert report.restated == 1
    assert ids(acme) == []
    assert ids(acme, NOVEMBER) == ["a"]
    assert feed_repo.feed_files_for_period(acme, "acme-l1", *OCTOBER) == []


def test_contact_ids_are_unique_per_provider_across_its_contracts(
    acme: Engine, tmp_path: Path
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    ingest_feed(
        acme, "nordline-overflow", "contacts", write_csv(tmp_path / "n.csv", [contact("a")])
    )
    assert ids(acme) == ["a"]  # another provider's contact "a" is another contact
    assert stored_rows(acme) == {"contacts": 2, "history": 0, "intervals": 0}


def test_an_ingestion_that_fails_after_writing_parts_leaves_nothing(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    before = (parts(acme), files_on_disk(acme))

    def broken(*_: object) -> None:
        raise StorageError("disk full")

    monkeypatch.setattr(feed_store, "_insert_quarantine", broken)
    rows = [contact("a", csat="1"), contact("b")]
    with pytest.raises(StorageError, match="disk full"):
        ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", rows))
    assert (parts(acme), files_on_disk(acme)) == before
    assert ids(acme) == ["a"]
    assert [f.file_name for f in feed_repo.feed_files(acme, "acme-l1")] == ["a.csv"]


def test_the_sweep_removes_old_unregistered_files_only(acme: Engine, tmp_path: Path) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    kept = files_on_disk(acme)
    root = Path(data_location(acme)) / "contacts" / "provider=acme" / "month=2026-10"
    (root / "part-00000099-dead.parquet").write_bytes(b"left by a crash")
    (root / ".part-00000099-beef.parquet.tmp").write_bytes(b"half written")
    assert sweep(acme) == []  # younger than the grace period: perhaps still being ingested
    assert sweep(acme, grace_seconds=0) == [
        "contacts/provider=acme/month=2026-10/.part-00000099-beef.parquet.tmp",
        "contacts/provider=acme/month=2026-10/part-00000099-dead.parquet",
    ]
    assert files_on_disk(acme) == kept
    assert ids(acme) == ["a"]


def test_intervals_sent_again_replace_their_stored_part(acme: Engine, tmp_path: Path) -> None:
    from tests.feeds_builders import row

    first = [row("intervals"), row("intervals", interval_start="2026-10-01T08:15:00+02:00")]
    ingest_feed(acme, "acme-l1", "intervals", write_csv(tmp_path / "i.csv", first))
    again = [row("intervals", offered="12", answered="10")]
    report = ingest_feed(acme, "acme-l1", "intervals", write_csv(tmp_path / "j.csv", again))
    assert report.restated == 1
    frame = feed_repo.intervals_frame(acme, "acme-l1", *OCTOBER)
    assert frame.get_column("offered").to_list() == [12, 10]
    assert stored_rows(acme) == {"contacts": 0, "history": 0, "intervals": 2}


@pytest.fixture
def acme_on_postgres(postgres_server: str) -> Iterator[Engine]:
    """PostgreSQL only: SQLite has one writer at a time, so no two ingests overlap there."""
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from tests.conftest import _fresh_postgres_database

    for url in _fresh_postgres_database(postgres_server):
        engine = make_engine(url)
        create_schema(engine)
        load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
        yield engine
        engine.dispose()


@pytest.mark.postgres
def test_the_same_file_ingested_twice_at_once_ends_already_ingested(
    acme_on_postgres: Engine, tmp_path: Path
) -> None:
    acme = acme_on_postgres
    path = write_csv(tmp_path / "c.csv", [contact(str(n)) for n in range(200)])
    reports: list[object] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def ingest() -> None:
        barrier.wait()
        try:
            reports.append(ingest_feed(acme, "acme-l1", "contacts", path))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.unchanged for r in reports) == [False, True]  # type: ignore[attr-defined]
    assert len({r.file_id for r in reports}) == 1  # type: ignore[attr-defined]
    assert stored_rows(acme)["contacts"] == 200
    with acme.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM feed_file")).scalar_one() == 1
    assert len(files_on_disk(acme)) == 1


def test_the_store_is_read_through_the_registry_not_the_folder(
    acme: Engine, tmp_path: Path
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    stray = open_store(acme)
    stored = Path(data_location(acme)) / parts(acme)[0][1]
    name = "contacts/provider=acme/month=2026-10/part-00000077-stray.parquet"
    stray.fs.copy(str(stored), stray.full(name))  # a copy the registry does not name
    assert ids(acme) == ["a"]


def test_the_storage_sweep_command_uses_the_configured_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from click.testing import CliRunner

    from slaengine.cli import main

    monkeypatch.delenv("SLAENGINE_DATA_URL")
    config = tmp_path / "config.toml"
    (tmp_path / "db").mkdir()  # a SQLite file's folder must exist (never created silently)
    config.write_text('[database]\nurl = "sqlite:///db/cli.db"\n[storage]\ndata = "parquet"\n')
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    runner = CliRunner()
    assert runner.invoke(main, ["contract", "load", str(CONTRACTS / "acme-l1.yaml")]).exit_code == 0
    feed = write_csv(tmp_path / "a.csv", [contact("a")])
    assert runner.invoke(main, ["feed", "ingest", "acme-l1", "contacts", str(feed)]).exit_code == 0
    folder = tmp_path / "parquet"  # relative to the configuration file
    stored = sorted(p.relative_to(folder) for p in folder.rglob("*.parquet"))
    assert [str(p.parent) for p in stored] == ["contacts/provider=acme/month=2026-10"]
    (folder / "contacts" / "stray.parquet").write_bytes(b"")
    result = runner.invoke(main, ["storage", "sweep", "--grace", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "location": str(folder),
        "removed": ["contacts/stray.parquet"],
    }


def test_a_part_retired_while_being_read_is_looked_up_again(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.adapters.columnar import read

    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    listed = read._parts
    calls: list[int] = []

    def stale_once(*arguments: object) -> list[tuple[str, int, int, int, int]]:
        found = listed(*arguments)  # type: ignore[arg-type]
        calls.append(len(found))
        if len(calls) == 1:  # as read just before another ingestion retired the part
            return [("contacts/provider=acme/month=2026-10/part-retired.parquet", *found[0][1:])]
        return found

    monkeypatch.setattr(read, "_parts", stale_once)
    assert ids(acme) == ["a"]
    assert calls == [1, 1]


def test_the_data_location_is_configured_or_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.adapters.columnar.location import bind_data_location
    from slaengine.adapters.storage.engine import make_engine
    from slaengine.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndata = "s3://acme-sla/prod"\n')
    assert load_settings({"SLAENGINE_CONFIG": str(config)}).data_location == "s3://acme-sla/prod"
    overridden = {"SLAENGINE_CONFIG": str(config), "SLAENGINE_DATA_URL": "/srv/parquet"}
    assert load_settings(overridden).data_location == "/srv/parquet"
    (tmp_path / "db").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'x.db'}")
    bind_data_location(engine, "parquet")
    assert Path(data_location(engine)) == tmp_path / "data"  # the environment comes first
    monkeypatch.delenv("SLAENGINE_DATA_URL")
    assert Path(data_location(engine)) == tmp_path / "db" / "parquet"  # beside the database
    engine.dispose()


def test_a_wrong_data_location_is_a_clear_error(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    monkeypatch.setenv("SLAENGINE_DATA_URL", str(tmp_path / "elsewhere"))
    with pytest.raises(StorageError, match=r"missing from the data location .*elsewhere"):
        ids(acme)


def test_an_unwritable_data_location_is_a_clear_error_and_stores_nothing(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("SLAENGINE_DATA_URL", str(blocked))
    with pytest.raises(StorageError, match="cannot write the feed file's rows to the data"):
        ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    assert feed_repo.feed_files(acme, "acme-l1") == []


def test_contacts_of_several_parts_come_back_in_arrival_then_id_order(
    acme: Engine, tmp_path: Path
) -> None:
    late = [
        contact("z", arrived_at="2026-10-01T09:00:00+02:00", answered="2026-10-01T09:00:05+02:00")
    ]
    ten = {"arrived_at": "2026-10-01T10:00:00+02:00", "answered": "2026-10-01T10:00:05+02:00"}
    early = [contact("b"), contact("a"), contact("y", **ten)]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "late.csv", late))
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "early.csv", early))
    assert ids(acme) == ["a", "b", "z", "y"]


@pytest.mark.parametrize("bucket_rows", [1, 5, 2_000_000], ids=["1-row", "5-rows", "one"])
def test_supersession_in_buckets_of_keys_gives_the_same_rows_history_and_counts(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bucket_rows: int
) -> None:
    from slaengine.adapters.columnar import store as columnar_store

    monkeypatch.setattr(columnar_store, "BUCKET_ROWS", bucket_rows)
    monkeypatch.setattr(columnar_store, "SLICE_ROWS", max(2, bucket_rows // 2))
    first = [contact(f"k{n}", csat=str(1 + n % 5)) for n in range(12)]
    november = [
        contact("m1", arrived_at=NOVEMBER_ARRIVAL, answered=NOVEMBER_ANSWER),
        contact("m2", arrived_at=NOVEMBER_ARRIVAL, answered=NOVEMBER_ANSWER),
    ]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", first))
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "n.csv", november))
    # k0..k5 sent again (csat was 1, 2, 3, 4, 5, 1): k0 and k4 changed; m2 moves to October
    csat = ["3", "2", "3", "4", "1", "1"]
    again = [contact(f"k{n}", csat=value) for n, value in enumerate(csat)]
    again.append(contact("m2", csat="2"))
    report = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", again))
    assert report.restated == 3  # k0, k4, m2
    frame = feed_repo.contacts_frame(acme, "acme-l1", *OCTOBER).sort("contact_id")
    assert frame.select("contact_id", "csat").rows() == sorted(
        [(f"k{n}", int(value)) for n, value in enumerate(csat)]
        + [(f"k{n}", 1 + n % 5) for n in range(6, 12)]
        + [("m2", 2)]
    )
    assert ids(acme, NOVEMBER) == ["m1"]
    found = feed_repo.restatements(acme, "acme-l1", OCTOBER[0], NOVEMBER[1])
    assert sorted(r.contact_id for r in found) == ["k0", "k4", "m2"]
    registered = {path for _, path, _, _ in parts(acme)}
    assert set(files_on_disk(acme)) == registered
