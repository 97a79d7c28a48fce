"""A monthly close that falls due before its month settles runs at the first job after.

`office` below has a 24-business-hour e-mail objective on Mon–Fri 09:00–18:00 (Paris):
October 2026 ends on Saturday 31, so its e-mails' deadlines run Mon 2 Nov (9 h), Tue 3 (9 h)
and Wed 4 Nov 09:00–15:00 (6 h): the month settles on Wed 4 Nov 15:00 Paris (14:00 UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import run_repo
from slaengine.config import Settings
from slaengine.services.contracts import load_contracts
from slaengine.services.schedule import fire, job_specs
from tests.close_builders import Mailbox, contract_text, load_world, settings_for, smtp_server

OFFICE = contract_text("office").replace(
    "objectives:\n",
    'calendars:\n  office:\n    weekly: {mon-fri: ["09:00-18:00"]}\n'
    "objectives:\n"
    "  - id: email-24h\n    channel: email\n    kpi: response_within\n    threshold: 24h\n"
    '    clock: business\n    calendar: office\n    target: ">= 95%"\n    window: month\n'
    "    level: key\n",
)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, mailbox: Mailbox) -> Iterator[Settings]:
    load_world(engine, tmp_path)
    (tmp_path / "contracts" / "office.yaml").write_text(OFFICE)
    load_contracts(engine, [tmp_path / "contracts" / "office.yaml"])
    with smtp_server(mailbox) as port:
        yield settings_for(tmp_path, port)


def fire_at(engine: Engine, settings: Settings, job: str, moment: datetime) -> list[str]:
    [spec] = [item for item in job_specs(settings) if item.name == job]
    reports = fire(engine, settings, spec, clock=lambda: moment, should_stop=lambda: False)
    return [f"{report.job} {report.period} {report.outcome}" for report in reports]


def test_the_close_waits_for_the_settlement_then_runs_once(
    engine: Engine, settings: Settings, mailbox: Mailbox
) -> None:
    # the close falls due on Mon 2 Nov 08:00 Paris: not settled, nothing in the ledger
    assert fire_at(engine, settings, "monthly_close", datetime(2026, 11, 2, 7, 0, tzinfo=UTC)) == []
    assert run_repo.runs_of(engine, "monthly_close", "2026-10") == []
    # Wed 4 Nov 07:00 Paris: the daily job runs, the month is still not settled
    early = fire_at(engine, settings, "month_to_date", datetime(2026, 11, 4, 6, 0, tzinfo=UTC))
    assert "monthly_close 2026-10 done" not in early
    assert run_repo.runs_of(engine, "monthly_close", "2026-10") == []
    # Thu 5 Nov 06:00 Paris: settled since Wed 15:00, the pull job closes the month
    late = fire_at(engine, settings, "pull", datetime(2026, 11, 5, 5, 0, tzinfo=UTC))
    assert "monthly_close 2026-10 done" in late
    again = fire_at(engine, settings, "month_to_date", datetime(2026, 11, 5, 6, 0, tzinfo=UTC))
    assert "monthly_close 2026-10 done" not in again
    runs = run_repo.runs_of(engine, "monthly_close", "2026-10")
    assert [(run.generation, run.outcome) for run in runs] == [(0, "done")]
    assert len(mailbox.received) == 1
