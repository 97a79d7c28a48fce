"""The run ledger's unique keys and the database locks, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.lease import LeaseLock, database_lock, holder_is_dead
from slaengine.services.runs import RunBusy, claim, run_lock

NOW = datetime(2026, 11, 2, 7, tzinfo=UTC)


def test_the_first_run_of_a_period_is_claimed_once_and_then_found_done(engine: Engine) -> None:
    attempt = claim(engine, "monthly_close", "2026-10", mode="once", now=NOW)
    assert attempt is not None
    run = attempt.run
    assert (run.generation, run.forced, attempt.kind) == (0, False, "first")
    run_repo.finish_run(
        engine, run.id, outcome="done", counts={"contracts": 2}, error=None, now=NOW
    )
    assert claim(engine, "monthly_close", "2026-10", mode="once", now=NOW) is None
    history = run_repo.run_history(engine)
    assert [(r.job, r.period, r.outcome, r.counts) for r in history] == [
        ("monthly_close", "2026-10", "done", {"contracts": 2})
    ]
    assert history[0].finished_at == NOW


def test_an_unfinished_run_is_resumed_not_started_again(engine: Engine) -> None:
    claimed = claim(engine, "monthly_close", "2026-10", mode="once", now=NOW)
    assert claimed is not None
    first = claimed.run
    run_repo.record_step(engine, first.id, "evaluated", "acme-l1", {"breaches": 1}, NOW)
    again = claim(engine, "monthly_close", "2026-10", mode="once", now=NOW)
    assert again is not None and again.run.id == first.id and again.kind == "resumed"
    assert run_repo.done_steps(engine, first.id) == {("evaluated", "acme-l1"): {"breaches": 1}}
    attempts = run_repo.attempts_of(engine, first.id)
    assert [(a.attempt, a.kind, a.outcome) for a in attempts] == [
        (1, "first", "interrupted"),
        (2, "resumed", "running"),
    ]
    assert attempts[0].error == "the process ended before this attempt finished"


def test_recording_a_step_twice_keeps_the_first(engine: Engine) -> None:
    attempt = claim(engine, "pull", "2026-11-02", mode="once", now=NOW)
    assert attempt is not None
    run = attempt.run
    run_repo.record_step(engine, run.id, "pulled", "acme-l1", {"feeds": 1}, NOW)
    run_repo.record_step(engine, run.id, "pulled", "acme-l1", {"feeds": 9}, NOW)
    assert run_repo.done_steps(engine, run.id) == {("pulled", "acme-l1"): {"feeds": 1}}


def test_the_same_generation_cannot_be_started_twice(engine: Engine) -> None:
    assert run_repo.start_run(engine, "pull", "2026-11-02", generation=0, forced=False, now=NOW)
    assert (
        run_repo.start_run(engine, "pull", "2026-11-02", generation=0, forced=False, now=NOW)
        is None
    )


def test_force_adds_a_generation_marked_forced(engine: Engine) -> None:
    claim(engine, "monthly_close", "2026-10", mode="once", now=NOW)
    forced = claim(engine, "monthly_close", "2026-10", mode="force", now=NOW)
    again = claim(engine, "month_to_date", "2026-11-02", mode="again", now=NOW)
    assert forced is not None and (forced.run.generation, forced.run.forced) == (1, True)
    assert forced.kind == "forced"
    assert again is not None and (again.run.generation, again.run.forced) == (0, False)


def test_a_lock_held_by_one_process_is_refused_to_another(engine: Engine) -> None:
    first = database_lock(engine, "test-lock")
    second = database_lock(engine, "test-lock")
    assert first.acquire()
    assert not second.acquire()
    assert second.current_holder() == first.holder
    first.release()
    assert second.acquire()
    second.release()


def test_the_run_lock_names_who_holds_it(engine: Engine) -> None:
    with run_lock(engine) as held:
        expected = f"another slaengine run \\({held.holder}\\)"
        with pytest.raises(RunBusy, match=expected), run_lock(engine):
            pass
    with run_lock(engine):
        pass


def test_an_expired_lease_is_taken_over_and_the_old_holder_loses_it(sqlite_engine: Engine) -> None:
    times = iter([NOW, NOW + timedelta(seconds=61), NOW + timedelta(seconds=62)])
    clock = lambda: next(times)  # noqa: E731
    old = LeaseLock(sqlite_engine, "lease", ttl_seconds=60, holder="elsewhere:1:a", clock=clock)
    new = LeaseLock(sqlite_engine, "lease", ttl_seconds=60, holder="elsewhere:2:b", clock=clock)
    assert old.acquire()
    assert new.acquire()  # 61 s later: expired
    assert not old.renew()  # 62 s: the old holder learns it lost the lease


def test_a_lease_of_a_dead_local_process_is_taken_over_at_once(sqlite_engine: Engine) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    import socket

    dead = f"{socket.gethostname()}:{finished.stdout.strip()}:x"
    assert holder_is_dead(dead)
    assert not holder_is_dead(f"{socket.gethostname()}:1:x")  # pid 1 runs
    assert not holder_is_dead(f"other-host:{finished.stdout.strip()}:x")
    LeaseLock(sqlite_engine, "lease", holder=dead, clock=lambda: NOW).acquire()
    assert LeaseLock(sqlite_engine, "lease", clock=lambda: NOW).acquire()


HOLDER_SCRIPT = """
import sys, time
from slaengine.adapters.storage.engine import make_engine
from slaengine.adapters.storage.lease import database_lock
lock = database_lock(make_engine(sys.argv[1]), "test-lock")
print("held" if lock.acquire() else "refused", flush=True)
time.sleep(60)
"""


def test_a_lock_of_a_killed_process_is_free_again(engine: Engine, database_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert not database_lock(engine, "test-lock").acquire()
    finally:
        holder.kill()  # SIGKILL: no chance to release anything
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    taken = database_lock(engine, "test-lock")
    deadline = time.monotonic() + 5  # PostgreSQL frees it when the server sees the socket close
    while not taken.acquire():
        assert time.monotonic() < deadline, "the killed process's lock was never freed"
        time.sleep(0.05)
    taken.release()
