"""`slaengine scheduler start` as a real process, with its clock moved by libfaketime.

The monthly close fires, the process is SIGKILLed while it delivers, a new scheduler started
after the due time completes the close: one close in the ledger, one e-mail. A second
scheduler started beside the running one exits and changes nothing. Needs the `faketime`
command (Debian package `faketime`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.evaluation_tables import EvaluationRun
from tests.close_builders import Mailbox, load_world, smtp_server

LIBFAKETIME = next(
    (str(path) for path in sorted(Path("/usr/lib").glob("**/faketime/libfaketimeMT.so.1"))), None
)
pytestmark = pytest.mark.skipif(
    LIBFAKETIME is None,
    reason="needs libfaketime (Debian package faketime) to move the scheduler's clock",
)


def config_text(folder: Path, smtp_port: int) -> str:
    # pull and month_to_date on 29 February only: their last fire (2024) is beyond the
    # one-year look-back, so they stay quiet and the test watches the monthly close alone;
    # an e-mail whose sending a kill interrupted goes again after half an hour
    return f"""
[database]
url = "sqlite:///{folder / "slaengine.db"}"
[paths]
contracts = "{folder / "contracts"}"
reports = "{folder / "reports"}"
[schedule]
timezone = "Europe/Paris"
pull = "0 0 29 2 *"
month_to_date = "0 0 29 2 *"
monthly_close = "0 8 2 * *"
[delivery]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
sender = "slaengine@example.com"
director = ["director@example.com"]
resend_unconfirmed_after_hours = 0.5
"""


class Scheduler:
    """One `slaengine scheduler start` process under faketime; output kept in files."""

    def __init__(self, folder: Path, name: str, start: str) -> None:
        self.out = folder / f"{name}.out"
        self.err = folder / f"{name}.err"
        env = {
            **os.environ,
            "TZ": "UTC",
            # the library itself, not the faketime command: that one forks, and signals
            # sent to it would not reach the scheduler
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME": f"@{start}",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "SLAENGINE_CONFIG": str(folder / "config.toml"),
        }
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "slaengine",
                    "scheduler",
                    "start",
                ],
                env=env,
                stdout=out,
                stderr=err,
                cwd=folder,
            )

    def stderr(self) -> str:
        return self.err.read_text()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=30)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 40.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Engine, Mailbox]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'slaengine.db'}")
    create_schema(engine)
    load_world(engine, tmp_path)
    # September was closed last month: only October is due
    september = run_repo.start_run(
        engine,
        "monthly_close",
        "2026-09",
        generation=0,
        forced=False,
        now=datetime(2026, 10, 2, 6, tzinfo=UTC),
    )
    assert september is not None
    run_repo.finish_run(
        engine,
        september.id,
        outcome="done",
        counts={},
        error=None,
        now=datetime(2026, 10, 2, 6, 1, tzinfo=UTC),
    )
    mailbox = Mailbox(hold=threading.Event())
    with smtp_server(mailbox) as port:
        (tmp_path / "config.toml").write_text(config_text(tmp_path, port))
        yield engine, mailbox
        if mailbox.hold is not None:
            mailbox.hold.set()  # never leave the SMTP server's thread blocked
    engine.dispose()


def october(engine: Engine) -> list[run_repo.RunRecord]:
    return run_repo.runs_of(engine, "monthly_close", "2026-10")


def evaluation_runs(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(EvaluationRun)).scalar_one())


def test_a_killed_close_is_completed_once_by_the_next_scheduler(
    world: tuple[Engine, Mailbox], tmp_path: Path
) -> None:
    engine, mailbox = world
    hold = mailbox.hold
    assert hold is not None
    # 2 November 07:59:50 in Paris: the close fires at 08:00 (07:00 UTC); on a machine so
    # slow that start-up takes longer, it is run at start as missed: the same close
    first = Scheduler(tmp_path, "first", "2026-11-02 06:59:50")
    try:
        wait_for(mailbox.holding.is_set, "the close to reach the SMTP server")
        first.process.kill()  # SIGKILL while the e-mail is being sent
        first.process.wait(timeout=10)
    finally:
        mailbox.hold = None
        hold.set()
    [killed] = october(engine)
    assert killed.outcome == "running"
    steps = set(run_repo.done_steps(engine, killed.id))
    assert ("reported", "portfolio") in steps and ("delivered", "director") not in steps
    assert mailbox.received == []

    second = Scheduler(tmp_path, "second", "2026-11-02 08:00:00")  # restarted after the due time
    try:
        wait_for(lambda: "scheduler started" in second.stderr(), "the second scheduler to start")
        beside = Scheduler(tmp_path, "beside", "2026-11-02 08:00:05")
        assert beside.process.wait(timeout=30) == 1
        assert "another scheduler (" in beside.stderr()
        assert "is running on this database; only one may act" in beside.stderr()
        wait_for(lambda: october(engine)[0].outcome == "done", "the close to be completed")
    finally:
        code = second.stop()
    assert code == 0, second.stderr()
    assert "unfinished: monthly_close 2026-10 (running): completing it" in second.stderr()
    assert (
        "monthly_close 2026-10: sending again the e-mail <slaengine-close-2026-10-g0@example.com>,"
        " same Message-ID, whose sending at 2026-11-02T07:00:"
    ) in second.stderr()
    assert "([delivery] resend_unconfirmed_after_hours have passed)" in second.stderr()
    assert "scheduler stopped" in second.stderr()
    [closed] = october(engine)
    assert (closed.id, closed.generation, closed.outcome) == (killed.id, 0, "done")
    assert len(mailbox.received) == 1
    recipients, message = mailbox.received[0]
    assert recipients == ["director@example.com"]
    assert message["Subject"] == (  # the config's default locale, fr_FR, on a worker thread
        "Clôture SLA d’octobre 2026\u00a0: 1 objectif manqué,"
        " 1\u202f000,00\u00a0€ de pénalités dues"
    )
    attempts = run_repo.attempts_of(engine, closed.id)
    assert [(a.kind, a.outcome) for a in attempts] == [
        ("first", "interrupted"),  # SIGKILLed while delivering
        ("resumed", "done"),
    ]
    assert evaluation_runs(engine) == 2
