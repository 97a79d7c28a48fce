"""Month to date: provisional evaluations and one webhook alert per objective and day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.delivery.webhook import redact_webhook
from slaengine.adapters.storage import run_repo
from slaengine.config import Settings
from slaengine.services.month_to_date import month_to_date
from tests.close_builders import Hook, load_world, settings_for, webhook_server

MORNING = datetime(2026, 10, 6, 8, tzinfo=UTC)  # 10:00 in Paris
EVENING = datetime(2026, 10, 6, 18, tzinfo=UTC)
NEXT_DAY = datetime(2026, 10, 7, 8, tzinfo=UTC)
FAST = {"wait_seconds": 0.0, "attempts": 2}
EXPECTED_ALERT = {
    "event": "breached",
    "contract": "breaching",
    "contract_version": 1,
    "provider": "p-breaching",
    "period": "2026-10",
    "as_of": "2026-10-06T08:00:00+00:00",
    "day": "2026-10-06",
    "objective": "phone-asa",
    "kpi": "average_speed_of_answer",
    "level": "key",
    "status": "breached",
    "at_risk_reason": "misses its target: 35.0s so far against <= 30s",
    "value": 35.0,
    "target": 30,
    "target_text": "<= 30s",
    "numerator": 70,
    "denominator": 2,
    "volume": 2,
    "credit": "1000.00",
    "currency": "EUR",
}


@pytest.fixture
def hook() -> Iterator[Hook]:
    with webhook_server() as server:
        yield server


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, hook: Hook) -> Settings:
    load_world(engine, tmp_path)
    configured = settings_for(tmp_path)
    return replace(configured, delivery=replace(configured.delivery, webhook_url=hook.url))


def warn(engine: Engine, settings: Settings, as_of: datetime) -> str:
    report = month_to_date(engine, settings, as_of=as_of, webhook_options=FAST)
    return report.outcome


def test_an_objective_breached_so_far_is_alerted_with_its_figures(
    engine: Engine, settings: Settings, hook: Hook
) -> None:
    report = month_to_date(engine, settings, as_of=MORNING, webhook_options=FAST)
    assert report.outcome == "done"
    assert hook.bodies == [EXPECTED_ALERT]
    assert [(item.contract_id, item.alerts) for item in report.contracts] == [
        ("breaching", 1),
        ("meeting", 0),
    ]
    assert report.delivery == "1 alert(s) sent"


def test_the_same_objective_is_alerted_once_a_day(
    engine: Engine, settings: Settings, hook: Hook
) -> None:
    warn(engine, settings, MORNING)
    warn(engine, settings, EVENING)
    assert len(hook.bodies) == 1
    warn(engine, settings, NEXT_DAY)
    assert [body["day"] for body in hook.bodies] == ["2026-10-06", "2026-10-07"]
    runs = run_repo.runs_of(engine, "month_to_date", "2026-10-06")
    assert [(run.generation, run.forced) for run in runs] == [(0, False), (1, False)]


def test_a_failed_alert_is_recorded_and_sent_by_the_next_run(
    engine: Engine, settings: Settings, hook: Hook
) -> None:
    hook.statuses = [500, 500]
    report = month_to_date(engine, settings, as_of=MORNING, webhook_options=FAST)
    assert report.outcome == "failed"
    assert report.failures == [
        f"breaching: alerted: webhook {redact_webhook(hook.url)} failed"
        " after 2 attempt(s): the receiver answered HTTP 500"
    ]
    assert hook.url.partition("?")[0].rpartition("/")[2] not in str(report.failures)
    assert hook.bodies == []
    assert warn(engine, settings, EVENING) == "done"
    assert hook.bodies == [EXPECTED_ALERT]  # the morning's figures, sent once
    sent = run_repo.delivery(engine, "webhook:breaching:phone-asa:2026-10-06")
    assert sent is not None and (sent.status, sent.attempts) == ("sent", 3)  # 2 failed, 1 sent


def test_without_a_webhook_url_nothing_is_sent_and_the_run_says_so(
    engine: Engine, settings: Settings, hook: Hook
) -> None:
    silent = replace(settings, delivery=replace(settings.delivery, webhook_url=""))
    report = month_to_date(engine, silent, as_of=MORNING)
    assert report.outcome == "done"
    assert report.delivery == "no alerts sent: [delivery] webhook_url is empty"
    assert hook.bodies == []
    assert [item.alerts for item in report.contracts] == [0, 0]  # nothing sent, nothing counted
    [run] = run_repo.runs_of(engine, "month_to_date", "2026-10-06")
    assert run.counts["alerts"] == 0 and run.counts["breaches"] == 1


def test_an_alert_sent_earlier_that_day_is_not_counted_again(
    engine: Engine, settings: Settings, hook: Hook
) -> None:
    first = month_to_date(engine, settings, as_of=MORNING, webhook_options=FAST)
    again = month_to_date(engine, settings, as_of=EVENING, webhook_options=FAST)
    assert (first.counts()["alerts"], again.counts()["alerts"]) == (1, 0)
    assert again.delivery == "0 alert(s) sent"


def load_silent(engine: Engine, folder: Path) -> None:
    from slaengine.services.contracts import load_contracts
    from tests.close_builders import contract_text

    (folder / "contracts" / "silent.yaml").write_text(contract_text("silent"))
    load_contracts(engine, [folder / "contracts" / "silent.yaml"])


def test_a_month_with_nothing_received_raises_no_data_after_three_business_days(
    engine: Engine, settings: Settings, hook: Hook, tmp_path: Path
) -> None:
    load_silent(engine, tmp_path)
    monday = datetime(2026, 10, 5, 6, tzinfo=UTC)  # Thu 1, Fri 2 elapsed: two business days
    early = month_to_date(engine, settings, as_of=monday, webhook_options=FAST)
    assert [body["event"] for body in hook.bodies] == []  # nothing breached on the 5th yet
    assert early.counts()["alerts"] == 0
    report = month_to_date(engine, settings, as_of=MORNING, webhook_options=FAST)
    assert [body["event"] for body in hook.bodies] == ["breached", "no_data"]
    assert hook.bodies[1] == {
        "event": "no_data",
        "contract": "silent",
        "contract_version": 1,
        "provider": "p-silent",
        "period": "2026-10",
        "as_of": "2026-10-06T08:00:00+00:00",
        "day": "2026-10-06",
        "expected": ["contacts", "intervals"],
        "channels": ["phone"],
        "business_days_elapsed": 3,
    }
    assert [(item.contract_id, item.alerts) for item in report.contracts] == [
        ("breaching", 1),
        ("meeting", 0),
        ("silent", 1),
    ]
