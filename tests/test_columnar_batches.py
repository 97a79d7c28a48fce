"""A feed file ingested in small pieces stores exactly what it stores read whole.

The ingestion streams (read a piece, validate it, write its valid rows, read the next); the
one rule across rows, a contact_id on several rows, sees every copy wherever it lies. Each
file is ingested twice into fresh catalogues, once whole and once in pieces of a few bytes,
on SQLite and PostgreSQL, and both give the same stored rows, quarantine and report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from slaengine.adapters.feeds import readers
from slaengine.adapters.storage import feed_repo
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.services import feeds
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed, quarantined_rows
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

OCTOBER = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))


def _ingested(url: str, data: Path, path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SLAENGINE_DATA_URL", str(data))
    monkeypatch.setattr(readers, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(readers, "BATCH_ROWS", max(1, chunk // 40))
    monkeypatch.setattr(feeds, "_NAMED_AT_ONCE", max(1, chunk // 100))  # Pandera, a few at once
    engine = make_engine(url)
    try:
        create_schema(engine)
        load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
        report = ingest_feed(engine, "acme-l1", "contacts", path)
        stored = feed_repo.contacts_frame(engine, "acme-l1", *OCTOBER)
        bad = [(q.line, q.raw, q.reasons) for q in quarantined_rows(engine, "acme-l1")]
        json = report.to_json() | {"file_id": None}
    finally:
        engine.dispose()
    return json, stored, bad


@pytest.fixture
def two_catalogues(tmp_path: Path, engine: Engine) -> Iterator[tuple[str, str]]:
    """Two fresh catalogues of the backend under test (SQLite files, or PostgreSQL's)."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path}/whole.db", f"sqlite:///{tmp_path}/pieces.db"
        return
    from contextlib import contextmanager

    from tests.conftest import _fresh_postgres_database

    fresh = contextmanager(_fresh_postgres_database)
    admin = str(engine.url.set(database="postgres").render_as_string(hide_password=False))
    with fresh(admin) as first, fresh(admin) as second:
        yield first, second


def _rows(ids: list[str], csat: list[str]) -> list[dict[str, str]]:
    rows = []
    for n, cid in enumerate(ids):
        minute = f"{8 + n // 60:02d}:{n % 60:02d}"
        rows.append(
            contact(cid, f"2026-10-0{1 + n % 3}T{minute}:12+02:00", csat=csat[n % len(csat)],
                    arrived_at=f"2026-10-0{1 + n % 3}T{minute}:00+02:00")
        )  # fmt: skip
    return rows


def test_copies_of_an_id_in_different_pieces_are_all_quarantined(
    tmp_path: Path, two_catalogues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [f"c{n}" for n in range(10)] + [" C3 ", "c3"]
    path = write_csv(
        tmp_path / "c.csv", _rows(ids, ["", "", "", "", "", "", "", "", "", "", "", "9"])
    )
    whole_url, pieces_url = two_catalogues
    whole = _ingested(whole_url, tmp_path / "d1", path, 1 << 30, monkeypatch)
    pieces = _ingested(pieces_url, tmp_path / "d2", path, 64, monkeypatch)
    report, stored, bad = pieces
    assert sorted(stored.get_column("contact_id").to_list()) == sorted(
        [f"c{n}" for n in range(10) if n != 3] + ["C3"]
    )  # "C3" differs from "c3" for the rule
    assert [(line, reasons) for line, _raw, reasons in bad] == [
        (5, ["duplicate_contact_id_in_file"]),
        (13, ["csat_out_of_range", "duplicate_contact_id_in_file"]),
    ]
    assert report["rows"] == 12 and report["stored"] == 10 and report["quarantined"] == 2
    assert report == whole[0] and stored.equals(whole[1]) and bad == whole[2]


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ids=st.lists(
        st.sampled_from(["a", "b", "c", "d", "e", "f", " a", "", "g", "h"]),
        min_size=1,
        max_size=24,
    ),
    csat=st.lists(st.sampled_from(["", "3", "9"]), min_size=1, max_size=5),
    chunk=st.integers(min_value=1, max_value=400),
)
def test_pieces_of_any_size_store_what_the_whole_file_stores(
    tmp_path_factory: pytest.TempPathFactory, two_catalogues: tuple[str, str],
    ids: list[str], csat: list[str], chunk: int,
) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("p")
    path = write_csv(folder / "c.csv", _rows(ids, csat))
    with pytest.MonkeyPatch.context() as monkeypatch:
        whole = _ingested(two_catalogues[0], folder / "d1", path, 1 << 30, monkeypatch)
    with pytest.MonkeyPatch.context() as monkeypatch:
        pieces = _ingested(two_catalogues[1], folder / "d2", path, chunk, monkeypatch)
    assert pieces[0] == whole[0]
    assert pieces[1].equals(whole[1])
    assert pieces[2] == whole[2]
    assert whole[0]["rows"] == len(ids)
    _reset(two_catalogues)


def _reset(urls: tuple[str, str]) -> None:
    """Empty both catalogues for the next example (same database, new contents)."""
    for url in urls:
        engine = make_engine(url)
        try:
            from sqlalchemy import MetaData

            meta = MetaData()
            meta.reflect(bind=engine)
            with engine.begin() as connection:
                for table in reversed(meta.sorted_tables):
                    if table.name not in ("alembic_version",):
                        connection.execute(table.delete())
        finally:
            engine.dispose()


def test_a_parquet_file_streams_batch_by_batch(
    tmp_path: Path, two_catalogues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows([f"p{n}" for n in range(40)] + ["p7"], ["", "4", "11"])
    path = tmp_path / "c.parquet"
    pl.DataFrame(rows).write_parquet(path, row_group_size=5)
    whole = _ingested(two_catalogues[0], tmp_path / "d1", path, 1 << 30, monkeypatch)
    monkeypatch.setattr(readers, "BATCH_ROWS", 3)
    pieces = _ingested(two_catalogues[1], tmp_path / "d2", path, 120, monkeypatch)
    assert pieces[0] == whole[0] and pieces[1].equals(whole[1]) and pieces[2] == whole[2]
    assert whole[0]["quarantined"] == 2 + 13  # p7 twice, csat 11 on every third row


def test_a_file_whose_later_piece_cannot_be_read_in_pieces_is_read_again_whole(
    tmp_path: Path, two_catalogues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone CR (an old Mac line end) after the first pieces: the ingestion starts again
    reading the file whole, and stores what the whole file gives."""
    rows = _rows([f"r{n}" for n in range(30)], ["", "4"])
    text = write_csv(tmp_path / "c.csv", rows).read_bytes()
    cut = text.rindex(b"\n", 0, len(text) - 1)
    path = tmp_path / "cr.csv"
    path.write_bytes(text[:cut] + b"\r" + text[cut + 1 :])  # the last line ends the Mac way
    whole = _ingested(two_catalogues[0], tmp_path / "d1", path, 1 << 30, monkeypatch)
    pieces = _ingested(two_catalogues[1], tmp_path / "d2", path, 128, monkeypatch)
    assert pieces[0] == whole[0] and pieces[1].equals(whole[1]) and pieces[2] == whole[2]
    assert whole[0]["rows"] == 30 and whole[0]["stored"] == 30


def test_batches_checked_before_the_hash_is_known_are_held_then_stored_or_dropped(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's bytes are hashed while its first batches are checked: with a slow hash, the
    batches wait (at most `_HELD` of them, then the pipeline waits), are all stored once the
    hash is known, and the same bytes sent again stop at their hash, storing nothing more."""
    import threading

    monkeypatch.setenv("SLAENGINE_DATA_URL", str(tmp_path / "data"))
    monkeypatch.setattr(readers, "CHUNK_BYTES", 300)
    slow_hash = feeds._sha256
    full = threading.Event()  # as many batches held as may be: the hash may end now

    def slow(path: Path, stop: object = None) -> str:
        full.wait(timeout=60)
        return slow_hash(path, stop)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds, "_sha256", slow)
    held: list[int] = []
    submit = feeds._Opening.submit

    def watched(self: feeds._Opening, valid: pl.DataFrame) -> None:
        submit(self, valid)
        held.append(len(self.held))
        if len(self.held) == feeds._HELD:
            full.set()

    monkeypatch.setattr(feeds._Opening, "submit", watched)
    ids = [f"c{n}" for n in range(40)]
    path = write_csv(tmp_path / "c.csv", _rows(ids, ["4"]))
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    first = ingest_feed(engine, "acme-l1", "contacts", path)
    assert (first.stored, first.quarantined, first.unchanged) == (40, 0, False)
    assert max(held) == feeds._HELD and held[-1] == 0  # held while hashing, then written
    again = ingest_feed(engine, "acme-l1", "contacts", path)
    assert (again.unchanged, again.file_id, again.sha256) == (True, first.file_id, first.sha256)
    stored = feed_repo.contacts_frame(engine, "acme-l1", *OCTOBER)
    assert sorted(stored.get_column("contact_id").to_list()) == sorted(ids)


def test_pandera_names_the_first_failing_batch_while_the_file_is_read_and_must_agree(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pandera's cross-check of the rules' own reasons takes the first failing batch's rows
    (the file's first row among them, for the dtypes) as soon as they are checked; a
    disagreement between Pandera and the rules is a bug, raised, and stores nothing."""
    from slaengine.adapters.feeds import schemas

    monkeypatch.setenv("SLAENGINE_DATA_URL", str(tmp_path / "data"))
    monkeypatch.setattr(readers, "CHUNK_BYTES", 400)
    rows = _rows([f"c{n}" for n in range(40)], ["4", "9", "4", "4"])  # csat 9: out of range
    path = write_csv(tmp_path / "c.csv", rows)
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    given: list[list[int]] = []
    failures = schemas._failures

    def watched(subset: pl.DataFrame, kind: str) -> pl.DataFrame:
        given.append(subset.get_column(schemas.ROW).to_list())
        return failures(subset, kind)

    monkeypatch.setattr(schemas, "_failures", watched)
    report = ingest_feed(engine, "acme-l1", "contacts", path)
    assert report.quarantined == 10 and report.reasons == {"csat_out_of_range": 10}
    assert given[0][0] == 0 and set(given[0][1:]) <= {n for n in range(40) if n % 4 == 1}
    assert len(given) == 1  # one sample: the first failing batch's rows

    def wrong(subset: pl.DataFrame, kind: str) -> pl.DataFrame:
        named = failures(subset, kind)
        return named.with_columns(pl.lit(["nps_out_of_range"]).alias("_reasons"))

    monkeypatch.setattr(schemas, "_failures", wrong)
    other = write_csv(tmp_path / "other.csv", rows[:20])
    with pytest.raises(RuntimeError, match="differ from Pandera"):
        ingest_feed(engine, "acme-l1", "contacts", other)
    stored = feed_repo.contacts_frame(engine, "acme-l1", *OCTOBER)
    assert stored.height == 30  # the first file's valid rows, nothing of the second
