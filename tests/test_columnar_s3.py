"""The columnar store on an object store: a local S3 server (moto) on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.guard import MARKER
from slaengine.adapters.columnar.location import open_store
from slaengine.adapters.columnar.sweep import sweep
from slaengine.adapters.storage import feed_repo
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import evaluate_period
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
AS_OF = datetime(2026, 11, 5, tzinfo=UTC)


@pytest.fixture
def s3_location(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bucket on a moto S3 server listening on loopback; the data URL points into it."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="slaengine-test")
    location = "s3://slaengine-test/prod"
    monkeypatch.setenv("SLAENGINE_DATA_URL", location)
    try:
        yield location
    finally:
        server.stop()


def test_contacts_stored_on_s3_read_back_and_evaluate_as_on_a_local_folder(
    sqlite_engine: Engine, tmp_path: Path, s3_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    load_contracts(sqlite_engine, [CONTRACTS / "acme-l1.yaml"])
    rows = [contact(str(n), answered=f"2026-10-01T08:00:{10 + n:02d}+02:00") for n in range(30)]
    path = write_csv(tmp_path / "c.csv", rows)
    report = ingest_feed(sqlite_engine, "acme-l1", "contacts", path)
    assert (report.stored, report.quarantined) == (30, 0)
    fix = write_csv(tmp_path / "fix.csv", [contact("3", csat="2")])
    assert ingest_feed(sqlite_engine, "acme-l1", "contacts", fix).restated == 1
    store = open_store(sqlite_engine)
    assert not store.local
    found = store.fs.find("slaengine-test/prod")
    listed = sorted(str(p).split("/", 2)[2] for p in found if not p.endswith(MARKER))
    assert len(listed) == 3  # the rewritten October part, the correction, its history
    assert all(
        name.startswith(("contacts/provider=acme/month=2026-10/", "history/")) for name in listed
    )
    on_s3 = feed_repo.contacts_frame(sqlite_engine, "acme-l1", *OCTOBER)
    assert on_s3.height == 30
    assert on_s3.filter(contact_id="3").get_column("csat").to_list() == [2]
    assert len(feed_repo.restatements(sqlite_engine, "acme-l1", *OCTOBER)) == 1
    remote = evaluate_period(sqlite_engine, "acme-l1", "2026-10", as_of=AS_OF, store=False)
    store.fs.put_file(str(tmp_path / "c.csv"), "slaengine-test/prod/contacts/stray.parquet")
    assert sweep(sqlite_engine, grace_seconds=0) == ["contacts/stray.parquet"]

    monkeypatch.setenv("SLAENGINE_DATA_URL", str(tmp_path / "local"))
    load_contracts(local := _fresh(tmp_path), [CONTRACTS / "acme-l1.yaml"])
    ingest_feed(local, "acme-l1", "contacts", path)
    ingest_feed(local, "acme-l1", "contacts", fix)
    assert feed_repo.contacts_frame(local, "acme-l1", *OCTOBER).equals(on_s3)
    here = evaluate_period(local, "acme-l1", "2026-10", as_of=AS_OF, store=False)
    assert here.objectives == remote.objectives
    assert here.objectives[0].value is not None


def _fresh(tmp_path: Path) -> Engine:
    from slaengine.adapters.storage.engine import create_schema, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'local.db'}")
    create_schema(engine)
    return engine
