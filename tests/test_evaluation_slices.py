"""A month is grouped a slice of stored rows at a time and the groups added up (memory bounded
by the slice): whatever the slice size, every figure equals the one-piece evaluation.

The month mixes phone, chat and e-mail (a response_within objective on a business clock),
two feed files, a contact in the exclusion event's window and one on the month's last hour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar import cache, read
from slaengine.services.contracts import load_contracts
from slaengine.services.evaluation import evaluate_period, evaluation_to_json
from slaengine.services.feeds import ingest_feed
from tests.conftest import CONTRACTS
from tests.feeds_builders import contact, write_csv

AS_OF = datetime(2026, 12, 15, tzinfo=UTC)


def _rows() -> list[dict[str, str]]:
    rows = []
    for n in range(60):
        day, hour = 1 + n % 28, 8 + n % 10
        channel = ("phone", "chat", "email")[n % 3]
        arrived = f"2026-10-{day:02d}T{hour:02d}:00:00+02:00"
        answered = f"2026-10-{day:02d}T{hour:02d}:{n % 3:02d}:{n % 40:02d}+02:00"
        if channel == "email" and n % 4 == 0:
            answered = f"2026-10-{min(day + 6, 31):02d}T{hour:02d}:00:00+01:00"
        abandoned = n % 11 == 0 and channel != "email"
        extra = {"abandoned_at": answered, "handle_seconds": ""} if abandoned else {}
        rows.append(
            contact(f"s{n}", "" if abandoned else answered, arrived_at=arrived, channel=channel,
                    csat=str(1 + n % 5), nps=str(n % 11),
                    resolved_first_contact=("true", "false", "")[n % 4 % 3], **extra)
        )  # fmt: skip
    rows.append(
        contact("last", "2026-10-31T23:30:40+01:00", arrived_at="2026-10-31T23:30:00+01:00")
    )
    return rows


@pytest.mark.parametrize("size", [1, 4, 17])
def test_a_month_grouped_in_slices_of_stored_rows_gives_the_same_figures(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    rows = _rows()
    first = ingest_feed(engine, "acme-l1", "contacts", write_csv(tmp_path / "a.csv", rows[:35]))
    second = ingest_feed(engine, "acme-l1", "contacts", write_csv(tmp_path / "b.csv", rows[35:]))
    assert first.quarantined == second.quarantined == 0
    whole = evaluation_to_json(evaluate_period(engine, "acme-l1", "2026-10", as_of=AS_OF))
    with engine.begin() as connection:
        connection.execute(cache.CACHE.delete())
    monkeypatch.setattr(read, "SLICE_ROWS", size)
    sliced = evaluation_to_json(evaluate_period(engine, "acme-l1", "2026-10", as_of=AS_OF))
    assert sliced == whole
    # the month exercises every objective (none is empty, none all met or all missed)
    found = {o["id"]: (o["numerator"], o["denominator"]) for o in whole["objectives"]}
    assert len(found) == 8, found
    assert all(0 < abs(top) < bottom or kpi == "phone-asa" for kpi, (top, bottom) in found.items())
