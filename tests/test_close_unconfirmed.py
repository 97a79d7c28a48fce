"""A close killed while its e-mail was in the SMTP server's hands sends no second e-mail
unannounced: the intent is recorded first, a resumed close holds the e-mail and says so, and
only --force or the configured wait sends it again, with the same Message-ID.

Kills: a real SIGKILL of a `slaengine run monthly` process, sent by the SMTP server on
loopback the moment it has the message and before it answers; and, in process, a
BaseException raised at the close's own points (the delivery's progress step, the step
record), which like a kill skips every `except Exception` and records nothing more.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import run_repo
from slaengine.config import Settings
from slaengine.services import close as close_module
from slaengine.services.close import close_month
from slaengine.services.runs import NoProgress
from tests.close_builders import AFTER_OCTOBER, Mailbox, load_world, settings_for, smtp_server

KEY = "email:monthly_close:2026-10:g0"
MESSAGE_ID = "<slaengine-close-2026-10-g0@example.com>"


class Killed(BaseException):
    """Stands for SIGKILL: no handler of the close catches it, nothing after it runs."""


class KillAtDelivery(NoProgress):
    """Dies when the close reports the e-mail handed over (before its outcome is recorded)."""

    def advance(self, name: str, label: str) -> None:
        if name == "delivery":
            raise Killed


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, mailbox: Mailbox) -> Iterator[Settings]:
    load_world(engine, tmp_path)
    with smtp_server(mailbox) as port:
        yield settings_for(tmp_path, port)


def close(engine: Engine, settings: Settings, **options: Any) -> Any:
    options.setdefault("now", AFTER_OCTOBER)
    return close_month(engine, settings, "2026-10", mail_options={"wait_seconds": 0}, **options)


def killed_after_the_server_took_the_mail(engine: Engine, settings: Settings) -> None:
    with pytest.raises(Killed):
        close(engine, settings, progress=KillAtDelivery())


def message_ids(mailbox: Mailbox) -> list[str]:
    return [str(message["Message-ID"]) for _, message in mailbox.received]


def test_a_close_killed_after_sending_holds_the_email_and_says_why(
    engine: Engine,
    settings: Settings,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    killed_after_the_server_took_the_mail(engine, settings)
    assert message_ids(mailbox) == [MESSAGE_ID]
    intent = run_repo.delivery(engine, KEY)
    assert intent is not None and intent.status == "sending"
    assert intent.payload["message_id"] == MESSAGE_ID
    assert intent.payload["to"] == ["director@example.com", "cfo@example.com"]
    assert intent.payload["intent_at"] == AFTER_OCTOBER.isoformat()
    with caplog.at_level(logging.WARNING, logger="slaengine.close"):
        resumed = close(engine, settings, now=AFTER_OCTOBER + timedelta(hours=1))
    assert message_ids(mailbox) == [MESSAGE_ID]  # no second e-mail
    assert (resumed.outcome, resumed.resumed) == ("failed", True)
    [run] = run_repo.runs_of(engine, "monthly_close", "2026-10")
    assert run.outcome == "failed" and run.error is not None
    assert run.error.startswith(
        f"delivery unconfirmed: the e-mail {MESSAGE_ID} to director@example.com,"
        " cfo@example.com was handed to the SMTP server at 2026-11-02T07:00:00+00:00"
    )
    assert "run monthly --period 2026-10 --force` (same Message-ID)" in run.error
    assert "the close resends it from 2026-11-03T07:00:00+00:00" in run.error
    assert [record.getMessage() for record in caplog.records] == [
        f"monthly_close 2026-10: {run.error.removeprefix('delivery unconfirmed: ')}"
    ]
    assert resumed.delivery == "unconfirmed: not sent again (see the error)"


def test_force_resends_the_same_message_in_the_same_run(
    engine: Engine, settings: Settings, mailbox: Mailbox
) -> None:
    killed_after_the_server_took_the_mail(engine, settings)
    assert close(engine, settings).outcome == "failed"
    forced = close(engine, settings, force=True)
    assert (forced.outcome, forced.generation) == ("done", 0)
    assert forced.delivery == (
        "sent again (same Message-ID, its first sending was unconfirmed)"
        " to director@example.com, cfo@example.com"
    )
    assert message_ids(mailbox) == [MESSAGE_ID, MESSAGE_ID]  # folded by mail clients
    runs = run_repo.runs_of(engine, "monthly_close", "2026-10")
    assert [(run.generation, run.outcome) for run in runs] == [(0, "done")]
    sent = run_repo.delivery(engine, KEY)
    assert sent is not None and (sent.status, sent.attempts) == ("sent", 1)
    assert close(engine, settings).outcome == "skipped"


def test_the_email_is_resent_once_the_configured_wait_has_passed(
    engine: Engine, settings: Settings, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    waiting = replace(
        settings, delivery=replace(settings.delivery, resend_unconfirmed_after_hours=6)
    )
    killed_after_the_server_took_the_mail(engine, waiting)
    early = close(engine, waiting, now=AFTER_OCTOBER + timedelta(hours=5, minutes=59))
    assert early.outcome == "failed" and len(mailbox.received) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="slaengine.close"):
        later = close(engine, waiting, now=AFTER_OCTOBER + timedelta(hours=6))
    assert later.outcome == "done"
    assert message_ids(mailbox) == [MESSAGE_ID, MESSAGE_ID]
    assert [record.getMessage() for record in caplog.records] == [
        f"monthly_close 2026-10: sending again the e-mail {MESSAGE_ID}, same Message-ID, whose"
        " sending at 2026-11-02T07:00:00+00:00 stopped before its outcome was recorded"
        " ([delivery] resend_unconfirmed_after_hours have passed)"
    ]


def test_a_kill_after_the_outcome_and_before_the_step_sends_nothing_again(
    engine: Engine, settings: Settings, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = run_repo.record_step

    def dies_recording_delivery(*args: Any) -> None:
        if args[2] == "delivered":
            raise Killed
        real(*args)

    monkeypatch.setattr(close_module.run_repo, "record_step", dies_recording_delivery)
    with pytest.raises(Killed):
        close(engine, settings)
    monkeypatch.setattr(close_module.run_repo, "record_step", real)
    assert close(engine, settings).outcome == "done"
    assert message_ids(mailbox) == [MESSAGE_ID]


# -- a real kill -9 -------------------------------------------------------------------------


class KillingMailbox(Mailbox):
    """Takes the message, then SIGKILLs the sending process before answering 250."""

    victim: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.victim is not None:
            os.kill(self.victim, signal.SIGKILL)
            self.victim = None
        return reply


def slaengine(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "slaengine", "run", "monthly", "--period", "2026-10", *args],
        env={**os.environ, "SLAENGINE_CONFIG": str(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_close_killed_by_sigkill_sends_no_second_email_unannounced(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    load_world(engine, tmp_path)
    box = KillingMailbox()
    with smtp_server(box) as port:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[database]\nurl = "{database_url}"\n'
            f'[paths]\nreports = "{tmp_path / "reports"}"\ncontracts = "{tmp_path / "contracts"}"\n'
            f'[delivery]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
            'sender = "slaengine@example.com"\ndirector = ["director@example.com"]\n'
        )
        first = slaengine(config)
        box.victim = first.pid
        first.communicate(timeout=120)
        assert first.returncode == -signal.SIGKILL
        resumed = slaengine(config)
        _, resumed_err = resumed.communicate(timeout=120)
        forced = slaengine(config, "--force")
        forced_out, forced_err = forced.communicate(timeout=120)
    assert resumed.returncode == 1
    assert "delivery unconfirmed: the e-mail <slaengine-close-2026-10-g0@example.com>" in (
        resumed_err
    )
    assert "it may have been delivered, so it is not sent again" in resumed_err
    assert "Traceback" not in resumed_err + forced_err
    assert forced.returncode == 0, forced_err
    ids = [message_of(item) for item in box.received]
    assert ids == ["<slaengine-close-2026-10-g0@example.com>"] * 2
    runs = run_repo.runs_of(engine, "monthly_close", "2026-10")
    assert [(run.generation, run.outcome) for run in runs] == [(0, "done")]
    assert "delivery: sent again (same Message-ID, its first sending was unconfirmed) to" in (
        forced_out
    )


def message_of(item: tuple[list[str], Message]) -> str:
    return str(item[1]["Message-ID"])


def test_a_wrong_wait_setting_ends_the_close_failed_naming_it(
    engine: Engine, settings: Settings, mailbox: Mailbox
) -> None:
    killed_after_the_server_took_the_mail(engine, settings)
    wrong = replace(
        settings, delivery=replace(settings.delivery, resend_unconfirmed_after_hours=float("inf"))
    )
    report = close(engine, wrong)
    assert report.outcome == "failed"
    assert report.error == (
        "delivery: config: [delivery] resend_unconfirmed_after_hours must be a number of hours"
        " (0 to 1000000), found inf"
    )
    assert len(mailbox.received) == 1
    [run] = run_repo.runs_of(engine, "monthly_close", "2026-10")
    assert run.outcome == "failed"
