"""Evaluation inputs reused while nothing they depend on changed, recomputed when it did."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import feed_repo
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import evaluate_period, evaluation_to_json
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

AS_OF = datetime(2026, 11, 5, tzinfo=UTC)
SETTLED_AS_OF = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.fixture
def acme(engine: Engine) -> Engine:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    return engine


def answered_after(seconds: int) -> str:
    return f"2026-10-01T08:00:{seconds:02d}+02:00"


def service_level(engine: Engine, as_of: datetime = AS_OF) -> tuple[object, object]:
    document = evaluation_to_json(evaluate_period(engine, "acme-l1", "2026-10", as_of=as_of))
    found = next(o for o in document["objectives"] if o["kpi"] == "service_level")
    return found["numerator"], found["denominator"]


def forbid_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object) -> None:
        raise AssertionError("the stored contacts were read again")

    from slaengine.adapters.columnar import read

    monkeypatch.setattr(feed_repo, "contacts_frame", refused)
    monkeypatch.setattr(read, "fold_slices", refused)
    monkeypatch.setattr(read, "_scan_rows", refused)


def test_a_second_evaluation_of_unchanged_inputs_reads_no_contact(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [contact("a", answered_after(10)), contact("b", answered_after(50))]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", rows))
    first = evaluation_to_json(evaluate_period(acme, "acme-l1", "2026-10", as_of=AS_OF))
    forbid_reading(monkeypatch)
    again = evaluation_to_json(evaluate_period(acme, "acme-l1", "2026-10", as_of=AS_OF))
    assert again == first
    assert service_level(acme) == (1, 2)


def test_a_restatement_or_a_contact_moved_away_is_seen_by_the_next_evaluation(
    acme: Engine, tmp_path: Path
) -> None:
    rows = [contact("a", answered_after(10)), contact("b", answered_after(50))]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", rows))
    assert service_level(acme) == (1, 2)
    fix = [contact("b", answered_after(15))]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", fix))
    assert service_level(acme) == (2, 2)
    moved = [
        contact("a", arrived_at="2026-11-02T09:00:00+01:00", answered="2026-11-02T09:00:05+01:00")
    ]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "c.csv", moved))
    assert service_level(acme) == (1, 1)


def test_as_of_matters_until_the_month_is_settled(
    acme: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", [contact("a")]))
    service_level(acme, SETTLED_AS_OF)
    forbid_reading(monkeypatch)
    assert service_level(acme, datetime(2027, 4, 1, tzinfo=UTC)) == (1, 1)  # settled: reused
    with pytest.raises(AssertionError, match="read again"):
        # before the settlement (4 Nov 15:00 Paris, 24 business hours of e-mail after the
        # month): provisional, deadlines may still fall due
        service_level(acme, datetime(2026, 11, 3, tzinfo=UTC))


def test_a_cache_entry_written_for_other_fields_is_computed_again(
    acme: Engine, tmp_path: Path
) -> None:
    from sqlalchemy import text

    rows = [contact("a", answered_after(10)), contact("b", answered_after(50))]
    ingest_feed(acme, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", rows))
    assert service_level(acme) == (1, 2)
    with acme.begin() as connection:
        changed = connection.execute(
            # earlier months were cached too (their results feed earn-back and chronic failure)
            text("UPDATE evaluation_input_cache SET payload = :p WHERE period = '2026-10'"),
            {"p": '{"daily": {}}'},
        ).rowcount
    assert changed == 1
    assert service_level(acme) == (1, 2)
