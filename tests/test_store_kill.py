"""kill -9 of a real ingesting process, bounded (issue 21): a correction killed while its parts
are being written (temporaries) or once they are written and registered but not committed, on
a local folder and on S3 (moto on loopback), on SQLite and PostgreSQL: 8 trials. The catalogue
stays as it was, `storage sweep` removes every leftover (on S3: the local temporaries too, which
used to leak in the system's temporary folder), and the file is ingested again in full."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.guard import MARKER
from slaengine.adapters.columnar.location import open_store
from slaengine.adapters.columnar.store import PART
from slaengine.adapters.columnar.sweep import sweep
from slaengine.adapters.storage import feed_repo
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv
from tests.test_columnar_s3 import OCTOBER, s3_location  # noqa: F401  (a fixture)

CHILD = """
import pathlib, sys, time
from slaengine.adapters.columnar import store as columnar_store
from slaengine.adapters.storage import feed_store
from slaengine.adapters.storage.engine import make_engine
from slaengine.services.feeds import ingest_feed

url, path, point, ready = sys.argv[1:5]

def pause():
    pathlib.Path(ready).write_text("ready")
    time.sleep(600)  # killed long before

if point == "written":
    write = columnar_store._OpenPart.write
    def paused_write(self, rows):
        write(self, rows)
        pause()
    columnar_store._OpenPart.write = paused_write
else:
    finish = feed_store.FeedWrite.finish
    def paused_finish(self, filled):
        stored = finish(self, filled)
        pause()
        return stored
    feed_store.FeedWrite.finish = paused_finish
ingest_feed(make_engine(url), "acme-l1", "contacts", pathlib.Path(path))
"""


def kill_when_ready(arguments: list[str], ready: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, *arguments, str(ready)])
    deadline = time.monotonic() + 120
    while not ready.exists():  # waits for the child to reach the point, however long it takes
        assert child.poll() is None, "the ingestion ended before reaching the kill point"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(60) == -signal.SIGKILL


def store_files(engine: Engine) -> set[str]:
    store = open_store(engine)
    root = store.root + "/"
    found = {str(path) for path in store.fs.find(store.root)}
    return {path.split(root, 1)[1] for path in found if not path.endswith(MARKER)}


def registered(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {str(path) for path in connection.execute(select(PART.c.path)).scalars()}


def csat(engine: Engine) -> dict[str, int]:
    frame = feed_repo.contacts_frame(engine, "acme-l1", *OCTOBER)
    return dict(zip(frame.get_column("contact_id"), frame.get_column("csat"), strict=True))


@pytest.mark.parametrize("point", ["written", "registered"])
@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_killed_correction_leaves_the_catalogue_and_the_sweep_cleans_up(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest, point: str, where: str,
) -> None:  # fmt: skip
    if where == "s3":
        import s3fs

        location = request.getfixturevalue("s3_location")
        monkeypatch.setenv("SLAENGINE_DATA_URL", f"{location}/{tmp_path.name}")  # moto keeps
        s3fs.S3FileSystem.clear_instance_cache()  # its buckets for the whole test session
    scratch = tmp_path / "tmp"  # the system's temporary folder, for both processes
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    base = [contact("a", csat="3"), contact("b", csat="4")]
    ingest_feed(engine, "acme-l1", "contacts", write_csv(tmp_path / "base.csv", base))
    before = (registered(engine), csat(engine), store_files(engine))
    fix = write_csv(tmp_path / "fix.csv", [contact("a", csat="1"), contact("c", csat="2")])

    kill_when_ready([database_url, str(fix), point], tmp_path / "ready")

    assert (registered(engine), csat(engine)) == before[:2]  # the catalogue as it was
    leftovers = (store_files(engine) - before[2]) | {str(p) for p in scratch.rglob("*.parquet")}
    assert leftovers  # what the killed process left behind
    removed = sweep(engine, grace_seconds=0)
    assert store_files(engine) == registered(engine) == before[0]
    assert list(scratch.rglob("*.parquet")) == []  # no temporary leaks on this machine
    assert len(removed) == len(leftovers)
    assert ingest_feed(engine, "acme-l1", "contacts", fix).stored == 2
    assert csat(engine) == {"a": 1, "b": 4, "c": 2}
