"""Ingesting feeds into storage (SQLite and PostgreSQL): stored, quarantined, restated, refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.read import stored_rows
from slaengine.adapters.storage import feed_repo
from slaengine.errors import ContractNotFound, FeedRefused, FeedRejected
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed, quarantined_rows
from tests.conftest import CONTRACTS
from tests.feeds_builders import GOOD, contact, row, write_csv

OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
RECEIVED = datetime(2026, 10, 2, 6, 0, tzinfo=UTC)
LATER = "2026-10-01T08:01:00+02:00"
TABLES = ("feed_file", "cost", "forecast")
STORED = {"contact": "contacts", "contact_history": "history", "interval_row": "intervals"}


@pytest.fixture
def acme(engine: Engine) -> Engine:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml", CONTRACTS / "nordline-overflow.yaml"])
    return engine


def counts(engine: Engine) -> dict[str, int]:
    """Rows per SQL table, and per kind of the columnar store and quarantined rows (held by
    blocks) under the old table names."""
    with engine.connect() as connection:
        found = {
            t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in TABLES
        }
        held = "SELECT coalesce(sum(rows), 0) FROM quarantine_block"
        found["quarantined_row"] = int(connection.execute(text(held)).scalar_one())
    stored = stored_rows(engine)
    return found | {table: stored[kind] for table, kind in STORED.items()}


def contacts(engine: Engine, contract_id: str = "acme-l1") -> pl.DataFrame:
    return feed_repo.contacts_frame(engine, contract_id, *OCTOBER)


def test_a_file_is_stored_and_its_bad_rows_quarantined(acme: Engine, tmp_path: Path) -> None:
    rows = [contact("a"), contact("b", answered="", handle_seconds=""), contact("c", csat="9")]
    report = ingest_feed(
        acme, "acme-l1", "contacts", write_csv(tmp_path / "c.csv", rows), received_at=RECEIVED
    )
    assert report.to_json() | {"sha256": "-"} == {
        "rows": 3,
        "stored": 1,
        "quarantined": 2,
        "reasons": {"csat_out_of_range": 1, "realtime_not_ended": 1},
        "file_id": report.file_id,
        "file": "c.csv",
        "sha256": "-",
        "kind": "contacts",
        "source": None,
        "unchanged": False,
        "restated": 0,
    }
    assert contacts(acme).get_column("contact_id").to_list() == ["a"]
    bad = quarantined_rows(acme, "acme-l1")
    assert [(r.line, r.reasons, r.raw["contact_id"]) for r in bad] == [
        (3, ["realtime_not_ended"], "b"),
        (4, ["csat_out_of_range"], "c"),
    ]
    assert bad[1].raw == contact("c", csat="9")
    assert bad[1].messages == ["csat is not a whole number from 1 to 5"]


def test_the_contacts_frame_has_exact_columns_and_utc_instants(
    acme: Engine, tmp_path: Path
) -> None:
    rows = [
        contact("a", handle_seconds="12.5", resolved_first_contact="false", nps=""),
        contact("b", channel="email", answered="", handle_seconds="", csat="", nps="",
                resolved_first_contact="", arrived_at="2026-10-31T23:30:00+01:00"),
        contact("c", answered="", handle_seconds="", abandoned_at="2026-10-01T08:00:04+02:00",
                arrived_at="2026-10-01T08:00:00+02:00", csat="", nps="", resolved_first_contact=""),
        contact("late", arrived_at="2026-11-01T00:00:00Z", answered="2026-11-01T00:00:09Z"),
    ]  # fmt: skip
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "c.csv", rows))
    frame = contacts(acme)
    assert frame.schema == feed_repo.CONTACT_COLUMNS
    utc = UTC
    assert frame.to_dicts() == [
        {
            "contact_id": "a", "channel": "phone", "queue": "general",
            "arrived_at": datetime(2026, 10, 1, 6, 0, tzinfo=utc),
            "answered_at": datetime(2026, 10, 1, 6, 0, 12, tzinfo=utc), "abandoned_at": None,
            "handle_seconds": 12.5, "resolved_first_contact": False, "csat": 5, "nps": None,
        },
        {
            "contact_id": "c", "channel": "phone", "queue": "general",
            "arrived_at": datetime(2026, 10, 1, 6, 0, tzinfo=utc), "answered_at": None,
            "abandoned_at": datetime(2026, 10, 1, 6, 0, 4, tzinfo=utc),
            "handle_seconds": None, "resolved_first_contact": None, "csat": None, "nps": None,
        },
        {
            "contact_id": "b", "channel": "email", "queue": "general",
            "arrived_at": datetime(2026, 10, 31, 22, 30, tzinfo=utc), "answered_at": None,
            "abandoned_at": None, "handle_seconds": None, "resolved_first_contact": None,
            "csat": None, "nps": None,
        },
    ]  # fmt: skip


def test_an_empty_period_gives_an_empty_frame_with_the_same_columns(acme: Engine) -> None:
    assert contacts(acme).schema == feed_repo.CONTACT_COLUMNS
    assert contacts(acme).height == 0
    frame = feed_repo.intervals_frame(acme, "acme-l1", *OCTOBER)
    assert (frame.height, frame.schema) == (0, feed_repo.INTERVAL_COLUMNS)


def test_the_same_bytes_again_change_nothing(acme: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [contact("a"), contact("b", csat="0")])
    first = ingest_feed(acme, "acme-l1", "contacts", path)
    before = counts(acme)
    again = ingest_feed(acme, "acme-l1", "contacts", path)
    assert counts(acme) == before
    assert again.unchanged and not first.unchanged
    assert (again.file_id, again.rows, again.stored, again.quarantined) == (first.file_id, 2, 1, 1)
    assert again.reasons == {"csat_out_of_range": 1}


def test_a_restated_contact_replaces_the_stored_one_and_keeps_it_in_history(
    acme: Engine, tmp_path: Path
) -> None:
    old = ingest_feed(
        acme, "acme-l1", "contacts",
        write_csv(tmp_path / "day1.csv", [contact("a"), contact("b")]), received_at=RECEIVED,
    )  # fmt: skip
    later = datetime(2026, 10, 3, 6, 0, tzinfo=UTC)
    day2 = [contact("a"), contact("b", answered=LATER), contact("c")]
    new = ingest_feed(
        acme, "acme-l1", "contacts", write_csv(tmp_path / "day2.csv", day2), received_at=later
    )
    assert new.restated == 1
    frame = contacts(acme).sort("contact_id")
    assert frame.get_column("contact_id").to_list() == ["a", "b", "c"]
    assert frame.get_column("answered_at").to_list()[1] == datetime(2026, 10, 1, 6, 1, tzinfo=UTC)
    found = feed_repo.restatements(acme, "acme-l1", *OCTOBER)
    assert found == [
        feed_repo.Restatement(
            "b", old.sha256, new.sha256, later, datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
        )
    ]
    assert counts(acme)["contact_history"] == 1
    records = feed_repo.feed_files(acme, "acme-l1")
    assert [(r.file_name, r.restated) for r in records] == [("day1.csv", 0), ("day2.csv", 1)]
    assert [r.file_name for r in feed_repo.feed_files_for_period(acme, "acme-l1", *OCTOBER)] == [
        "day2.csv"
    ]


def test_strict_ingestion_of_a_file_with_a_bad_row_stores_nothing(
    acme: Engine, tmp_path: Path
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "ok.csv", [contact("z")]))
    before = counts(acme)
    path = write_csv(tmp_path / "c.csv", [contact("a"), contact("b", channel="fax")])
    with pytest.raises(FeedRejected) as caught:
        ingest_feed(acme, "acme-l1", "contacts", path, strict=True)
    assert str(caught.value) == (
        f"{path}: 1 of 2 rows are invalid (bad_channel: 1); line 3: bad_channel."
        " Nothing was stored (--strict); ingest without --strict to store the valid rows"
        " and quarantine the others"
    )
    assert counts(acme) == before


def test_a_clean_file_is_stored_in_strict_mode(acme: Engine, tmp_path: Path) -> None:
    report = ingest_feed(
        acme, "acme-l1", "contacts", write_csv(tmp_path / "c.csv", [contact("a")]), strict=True
    )
    assert (report.rows, report.stored, report.quarantined) == (1, 1, 0)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "c.txt",
            b"contact_id\n",
            "{path}: cannot tell the feed format from the extension '.txt'"
            " (expected .csv, .jsonl, .ndjson or .parquet)",
        ),
        ("c.csv", b"", "{path}: the file is empty"),
        ("c.csv", b"contact_id,channel,arrived_at\n", "{path}: the file has no data rows"),
        (
            "c.csv",
            b"contact_id,channel,arrived_at\n\xff,phone,x\n",
            "{path}:2: the file is not UTF-8 (byte 0xff at offset 30); save it as UTF-8",
        ),
        (
            "c.csv",
            b"contact_id,channel\na,phone\n",
            "{path}: a contacts feed needs the column(s) arrived_at; found contact_id, channel",
        ),
        (
            "c.csv",
            b'contact_id,channel,arrived_at\na,phone"x,1,2\n',
            "{path}:2: not a readable CSV file: 4 fields where the header has 3",
        ),
    ],
    ids=["format", "empty", "no-rows", "not-utf8", "columns", "unparseable"],
)
def test_a_refused_file_changes_nothing(
    acme: Engine, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "ok.csv", [contact("z")]))
    before = counts(acme)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FeedRefused) as caught:
        ingest_feed(acme, "acme-l1", "contacts", path)
    assert str(caught.value) == message.format(path=path)
    assert counts(acme) == before


def test_an_unknown_contract_or_kind_is_refused(acme: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [contact("a")])
    with pytest.raises(ContractNotFound):
        ingest_feed(acme, "nobody", "contacts", path)
    with pytest.raises(FeedRefused, match="unknown feed kind 'calls'"):
        ingest_feed(acme, "acme-l1", "calls", path)


def test_contact_ids_belong_to_a_provider_not_to_everyone(acme: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [contact("a")])
    ingest_feed(acme, "acme-l1", "contacts", path)
    other = ingest_feed(acme, "nordline-overflow", "contacts", path)
    assert (other.stored, other.restated) == (1, 0)
    assert contacts(acme, "nordline-overflow").height == 1
    assert contacts(acme).height == 1


def test_intervals_are_stored_and_read_back_typed(acme: Engine, tmp_path: Path) -> None:
    second = row(
        "intervals",
        interval_start="2026-10-01T08:15:00+02:00",
        threshold_seconds="",
        offered="3",
        answered="2",
        abandoned="1",
        answered_within_threshold="2",
    )
    ingest_feed(
        acme, "acme-l1", "intervals", write_csv(tmp_path / "i.csv", [GOOD["intervals"], second])
    )
    frame = feed_repo.intervals_frame(acme, "acme-l1", *OCTOBER)
    assert frame.schema == feed_repo.INTERVAL_COLUMNS
    assert frame.to_dicts()[1] == {
        "interval_start": datetime(2026, 10, 1, 6, 15, tzinfo=UTC), "interval_minutes": 15,
        "channel": "phone", "queue": "general", "offered": 3, "answered": 2, "abandoned": 1,
        "abandoned_short": 1, "answered_within_threshold": 2, "threshold_seconds": None,
        "short_abandon_seconds": 5, "wait_seconds_answered": 80.0, "handle_seconds": 1600.0,
    }  # fmt: skip
    restated = ingest_feed(
        acme,
        "acme-l1",
        "intervals",
        write_csv(tmp_path / "i2.csv", [row("intervals", offered="12")]),
    )
    assert restated.restated == 1
    assert feed_repo.intervals_frame(acme, "acme-l1", *OCTOBER).get_column("offered").to_list() == [
        12,
        3,
    ]


def test_costs_and_forecasts_are_read_back_and_name_their_files(
    acme: Engine, tmp_path: Path
) -> None:
    costs = [GOOD["costs"], row("costs", channel="email", amount="1234.56", kind="other")]
    ingest_feed(acme, "acme-l1", "costs", write_csv(tmp_path / "costs.csv", costs))
    forecasts = [GOOD["forecasts"], row("forecasts", date="2026-10-31", contacts="900")]
    ingest_feed(acme, "acme-l1", "forecasts", write_csv(tmp_path / "forecasts.csv", forecasts))
    assert feed_repo.costs(acme, "acme-l1", "2026-10") == [
        feed_repo.Cost("2026-10", "all", Decimal("120000.00"), "EUR", "fee"),
        feed_repo.Cost("2026-10", "email", Decimal("1234.56"), "EUR", "other"),
    ]
    assert feed_repo.costs(acme, "acme-l1", "2026-11") == []
    assert feed_repo.forecasts(acme, "acme-l1", date(2026, 10, 2), date(2026, 10, 31)) == [
        feed_repo.Forecast(date(2026, 10, 31), "phone", 900)
    ]
    names = [r.file_name for r in feed_repo.feed_files_for_period(acme, "acme-l1", *OCTOBER)]
    assert names == ["costs.csv", "forecasts.csv"]
    november = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert feed_repo.feed_files_for_period(acme, "acme-l1", *november) == []


def test_feed_file_records_say_what_each_file_did(acme: Engine, tmp_path: Path) -> None:
    rows = [
        contact("a"),
        contact("b", arrived_at="2026-10-05T10:00:00Z", answered="2026-10-05T10:00:01Z"),
        contact("c", nps="x"),
    ]
    report = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "c.csv", rows),
                         source="https://feeds.example.net/acme", received_at=RECEIVED)  # fmt: skip
    assert feed_repo.feed_files(acme, "acme-l1") == [
        feed_repo.FeedFileRecord(
            id=report.file_id, contract_id="acme-l1", sha256=report.sha256, kind="contacts",
            source="https://feeds.example.net/acme", file_name="c.csv", received_at=RECEIVED,
            rows=3, stored=2, quarantined=1, reasons={"bad_number": 1}, status="partial",
            first_arrival=datetime(2026, 10, 1, 6, 0, tzinfo=UTC),
            last_arrival=datetime(2026, 10, 5, 10, 0, tzinfo=UTC),
        )
    ]  # fmt: skip


def test_quarantined_rows_can_be_listed_per_file(acme: Engine, tmp_path: Path) -> None:
    first = ingest_feed(
        acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a", csat="0")])
    )
    ingest_feed(
        acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", [contact("b", nps="20")])
    )
    assert [r.file_name for r in quarantined_rows(acme, "acme-l1")] == ["a.csv", "b.csv"]
    only = quarantined_rows(acme, "acme-l1", file_id=first.file_id)
    assert [(r.file_name, r.line, r.reasons) for r in only] == [("a.csv", 2, ["csat_out_of_range"])]


def test_rows_a_mapping_drops_are_quarantined_with_its_reasons(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.adapters.feeds import mapping as mapping_module
    from slaengine.adapters.feeds.mapping_model import DroppedRow, MappingResult

    source = write_csv(tmp_path / "export.csv", [{"call": "1"}, {"call": "2"}, {"call": "3"}])

    def fake_apply(frame: pl.DataFrame, _mapping: object) -> MappingResult:
        kept = pl.DataFrame([contact("1"), contact("3", csat="8")]).with_columns(
            _line=pl.Series([2, 4], dtype=pl.Int64)
        )
        dropped = [DroppedRow(3, {"call": "2"}, ["outcome_unknown"])]
        assert frame.get_column("call").to_list() == ["1", "2", "3"]
        return MappingResult(kept, dropped)

    monkeypatch.setattr(mapping_module, "apply_mapping", fake_apply)
    report = ingest_feed(acme, "acme-l1", "contacts", source, mapping=object())  # type: ignore[arg-type]
    assert (report.rows, report.stored, report.quarantined) == (3, 1, 2)
    assert report.reasons == {"csat_out_of_range": 1, "outcome_unknown": 1}
    bad = quarantined_rows(acme, "acme-l1")
    assert [(r.line, r.reasons, r.messages) for r in bad] == [
        (3, ["outcome_unknown"], ["outcome_unknown"]),
        (4, ["csat_out_of_range"], ["csat is not a whole number from 1 to 5"]),
    ]
    assert bad[0].raw == {"call": "2"}


def test_a_file_whose_rows_are_all_bad_is_recorded_as_quarantined(
    acme: Engine, tmp_path: Path
) -> None:
    rows = [contact("a", channel="fax"), contact("b", csat="0")]
    report = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "c.csv", rows))
    assert (report.rows, report.stored, report.quarantined) == (2, 0, 2)
    record = feed_repo.feed_files(acme, "acme-l1")[0]
    assert (record.status, record.first_arrival, record.last_arrival) == ("quarantined", None, None)
    assert counts(acme)["contact"] == 0


def test_an_identical_contact_sent_again_is_not_a_restatement(acme: Engine, tmp_path: Path) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    again = [contact("a"), contact("b")]
    report = ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", again))
    assert (report.stored, report.restated) == (2, 0)
    assert feed_repo.restatements(acme, "acme-l1", *OCTOBER) == []
    files = feed_repo.feed_files_for_period(acme, "acme-l1", *OCTOBER)
    assert [f.file_name for f in files] == ["b.csv"]


ROW_CHANGES = st.fixed_dictionaries(
    {
        "contact_id": st.sampled_from(["a", "b", "c", ""]),
        "channel": st.sampled_from(["phone", "email", "fax"]),
        "csat": st.sampled_from(["", "3", "7"]),
        "answered_at": st.sampled_from(["2026-10-01T08:00:12+02:00", "", "2026-10-01T08:00:12"]),
    }
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(ROW_CHANGES, min_size=1, max_size=12))
def test_rows_read_are_always_stored_plus_quarantined(
    sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory, changes: list[dict[str, str]]
) -> None:
    load_contracts(sqlite_engine, [CONTRACTS / "acme-l1.yaml"])
    rows = [row("contacts", **change) for change in changes]
    path = write_csv(tmp_path_factory.mktemp("feed") / "c.csv", rows)
    before = counts(sqlite_engine)
    report = ingest_feed(sqlite_engine, "acme-l1", "contacts", path)
    assert report.rows == len(rows) == report.stored + report.quarantined
    after = counts(sqlite_engine)
    if not report.unchanged:
        assert after["quarantined_row"] - before["quarantined_row"] == report.quarantined
        moved = after["contact_history"] - before["contact_history"]
        assert moved == report.restated
