"""The monthly close over a real database and a real SMTP server on loopback.

Two contracts (tests/close_builders.py): `breaching` (ASA 35 s against <= 30 s: one breach,
10% of 10,000.00 = 1,000.00 EUR) and `meeting` (ASA 15 s: met).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.evaluation_tables import EvaluationRun
from slaengine.config import FeedSource, Settings
from slaengine.domain.evaluation.results import Evaluation
from slaengine.errors import EvaluationError
from slaengine.services import close as close_module
from slaengine.services.close import close_month
from tests.close_builders import (
    AFTER_OCTOBER,
    Mailbox,
    attachments,
    load_world,
    settings_for,
    smtp_server,
)

SUBJECT = "SLA close of October 2026: 1 objective missed, €1,000.00 credits due"
FAST = {"wait_seconds": 0.0}


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, mailbox: Mailbox) -> Iterator[Settings]:
    load_world(engine, tmp_path)
    with smtp_server(mailbox) as port:
        yield settings_for(tmp_path, port)


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The contracts the close evaluated, in order (the real evaluation still runs)."""
    calls: list[str] = []
    real = close_module._evaluate_final

    def spy(engine: Engine, contract_id: str, period: str, now: datetime) -> Evaluation:
        calls.append(contract_id)
        return real(engine, contract_id, period, now)

    monkeypatch.setattr(close_module, "_evaluate_final", spy)
    return calls


def close(engine: Engine, settings: Settings, **options: Any) -> Any:
    return close_month(engine, settings, "2026-10", now=AFTER_OCTOBER, mail_options=FAST, **options)


def evaluation_runs(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(EvaluationRun)).scalar_one())


def test_a_month_closes_once_and_the_director_receives_one_email(
    engine: Engine, settings: Settings, mailbox: Mailbox, tmp_path: Path
) -> None:
    first = close(engine, settings)
    second = close(engine, settings)
    assert first.outcome == "done"
    assert first.counts()["breaches"] == 1
    assert first.counts()["credits"] == {"EUR": "1000.00"}
    assert second.outcome == "skipped"
    assert "was closed at 2026-11-02T07:0" in str(second.note)
    [run] = run_repo.runs_of(engine, "monthly_close", "2026-10")
    attempts = run_repo.attempts_of(engine, run.id)
    assert [(a.kind, a.outcome) for a in attempts] == [("first", "done"), ("skipped", "skipped")]
    assert len(mailbox.received) == 1
    recipients, message = mailbox.received[0]
    assert recipients == ["director@example.com", "cfo@example.com"]
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"] == "<slaengine-close-2026-10-g0@example.com>"
    reports = tmp_path / "reports"
    names = [
        "portfolio-2026-10.pdf",
        "scorecard-breaching-2026-10.pdf",
        "scorecard-meeting-2026-10.pdf",
    ]
    assert attachments(message) == {name: (reports / name).read_bytes() for name in names}
    assert (reports / "audit-breaching-2026-10.pdf").exists()
    assert evaluation_runs(engine) == 2
    runs = run_repo.runs_of(engine, "monthly_close", "2026-10")
    assert [(run.generation, run.outcome, run.forced) for run in runs] == [(0, "done", False)]


def test_the_body_names_each_contract_with_its_breaches_and_credits(
    engine: Engine, settings: Settings, mailbox: Mailbox
) -> None:
    close(engine, settings)
    message = mailbox.received[0][1]
    body = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    text = body.get_content().replace("\r\n", "\n")
    assert (
        "Provider breaching (outsourced, breaching v1)\n"
        "  Objectives missed: 1 (phone-asa)\n"
        "  Net credits owed: €1,000.00\n"
    ) in text
    assert "Provider meeting (outsourced, meeting v1)\n  Objectives missed: 0\n" in text


def test_force_closes_again_and_is_recorded_as_forced(
    engine: Engine, settings: Settings, mailbox: Mailbox
) -> None:
    close(engine, settings)
    again = close(engine, settings, force=True)
    assert (again.outcome, again.generation, again.forced) == ("done", 1, True)
    assert len(mailbox.received) == 2
    assert mailbox.received[1][1]["Message-ID"] == "<slaengine-close-2026-10-g1@example.com>"
    runs = run_repo.runs_of(engine, "monthly_close", "2026-10")
    assert [(run.generation, run.forced) for run in runs] == [(0, False), (1, True)]
    assert evaluation_runs(engine) == 2  # unchanged inputs: nothing new stored


def test_an_interrupted_close_is_completed_without_doing_a_step_twice(
    engine: Engine, settings: Settings, mailbox: Mailbox, evaluated: list[str]
) -> None:
    # phases: pull both, evaluate both, reports: stop before the fifth step (reports of breaching)
    checks = iter([False, False, False, False, True])
    stopped = close(engine, settings, should_stop=lambda: next(checks, False))
    assert stopped.outcome == "interrupted"
    run = run_repo.runs_of(engine, "monthly_close", "2026-10")[0]
    assert set(run_repo.done_steps(engine, run.id)) == {
        ("pulled", "breaching"),
        ("pulled", "meeting"),
        ("evaluated", "breaching"),
        ("evaluated", "meeting"),
    }
    finished = close(engine, settings)
    assert (finished.outcome, finished.resumed) == ("done", True)
    assert evaluated == ["breaching", "meeting"]
    assert len(mailbox.received) == 1
    assert run_repo.runs_of(engine, "monthly_close", "2026-10")[0].outcome == "done"


def test_a_failing_contract_leaves_the_others_closed_and_holds_the_email(
    engine: Engine, settings: Settings, mailbox: Mailbox, evaluated: list[str], tmp_path: Path
) -> None:
    feed = FeedSource("breaching", "contacts", "http://127.0.0.1:9/feed", token_env="NO_SUCH")
    broken = Settings(**{**settings.__dict__, "feeds": (feed,)})
    report = close(engine, broken, environ={})
    assert report.outcome == "failed"
    assert report.failures == [
        "breaching: pulled: feed contacts of contract breaching: the token variable NO_SUCH"
        " (token_env in config.toml) is not set; export it and retry"
    ]
    assert [item.steps for item in report.contracts] == [[], ["pulled", "evaluated", "reported"]]
    assert mailbox.received == []
    assert not (tmp_path / "reports" / "portfolio-2026-10.pdf").exists()
    fixed = close(engine, settings)
    assert fixed.outcome == "done"
    assert evaluated == ["meeting", "breaching"]
    assert len(mailbox.received) == 1


def test_a_failed_delivery_is_recorded_and_sent_by_the_next_run(
    engine: Engine, settings: Settings, mailbox: Mailbox, tmp_path: Path
) -> None:
    mailbox.refuse_next = 2
    report = close_month(
        engine,
        settings,
        "2026-10",
        now=AFTER_OCTOBER,
        mail_options={"wait_seconds": 0.0, "attempts": 2},
    )
    assert report.outcome == "failed"
    assert report.error is not None
    assert report.error.startswith(f'delivery: e-mail "{SUBJECT}" to director@example.com,')
    assert report.error.endswith("failed after 2 attempt(s): server replied 451 try again later")
    assert (tmp_path / "reports" / "portfolio-2026-10.pdf").exists()
    key = "email:monthly_close:2026-10:g0"
    failed = run_repo.delivery(engine, key)
    assert failed is not None and failed.status == "failed"
    retried = close(engine, settings)
    assert retried.outcome == "done"
    assert len(mailbox.received) == 1
    sent = run_repo.delivery(engine, key)
    assert sent is not None and (sent.status, sent.attempts) == ("sent", 3)  # 2 refused, 1 sent


def test_transient_smtp_refusals_are_retried_within_one_run(
    engine: Engine, settings: Settings, mailbox: Mailbox
) -> None:
    mailbox.refuse_next = 2
    assert close(engine, settings).outcome == "done"
    sent = run_repo.delivery(engine, "email:monthly_close:2026-10:g0")
    assert sent is not None and sent.attempts == 3
    assert len(mailbox.received) == 1


def test_a_month_is_not_closed_before_it_settles(engine: Engine, settings: Settings) -> None:
    before = datetime(2026, 10, 31, 22, 59, tzinfo=UTC)
    with pytest.raises(EvaluationError, match=r"2026-10 is not settled before 2026-10-31T23:00"):
        close_month(engine, settings, "2026-10", now=before)
    assert run_repo.runs_of(engine, "monthly_close", "2026-10") == []


class SlowProgress:
    """Each phase takes `seconds`: a run whose finish must be measured, not copied."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def phase(self, name: str, total: int) -> None:
        import time

        time.sleep(self.seconds)

    def advance(self, name: str, label: str) -> None:
        pass


def test_the_ledger_keeps_every_attempt_with_its_measured_instants(
    engine: Engine, settings: Settings, mailbox: Mailbox
) -> None:
    mailbox.refuse_next, mailbox.refusal = 1, "550 mailbox unavailable"  # permanent: no retry
    failed = close(engine, settings, progress=SlowProgress(0.25))
    assert failed.outcome == "failed"
    assert close(engine, settings).outcome == "done"
    assert close(engine, settings).outcome == "skipped"
    assert close(engine, settings, force=True).outcome == "done"
    first, forced = run_repo.runs_of(engine, "monthly_close", "2026-10")
    attempts = run_repo.attempts_of(engine, first.id)
    assert [(a.attempt, a.kind, a.outcome) for a in attempts] == [
        (1, "first", "failed"),
        (2, "resumed", "done"),
        (3, "skipped", "skipped"),
    ]
    assert attempts[0].error is not None and "550 mailbox unavailable" in attempts[0].error
    assert attempts[1].error is None
    assert attempts[0].finished_at is not None
    # four phases (pull, evaluate, reports, delivery) of 0.25 s each: a real duration
    assert (attempts[0].finished_at - attempts[0].started_at).total_seconds() >= 1.0
    assert attempts[0].started_at == AFTER_OCTOBER
    assert [(a.kind, a.outcome) for a in run_repo.attempts_of(engine, forced.id)] == [
        ("forced", "done")
    ]
    assert (first.outcome, first.counts["breaches"], first.error) == ("done", 1, None)
    history = {run.id: run for run in run_repo.run_history(engine)}
    assert [a.kind for a in history[first.id].attempts] == ["first", "resumed", "skipped"]
    assert history[first.id].as_json()["attempts"][0]["outcome"] == "failed"
