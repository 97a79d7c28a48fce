"""Locks held in the database itself, so that they work across machines.

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a connection kept open for
  as long as the lock is held; the server frees it when the process dies, however it dies. A
  row of `scheduler_lease` says who holds it, for messages only.
- SQLite: a row of `scheduler_lease` with a holder and an expiry, taken by compare-and-set and
  renewed by the holder. A lease that expired, or whose holder is a process of this machine
  that no longer exists (killed), may be taken over.
Holders are `host:pid:token`.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from slaengine.adapters.storage.run_repo import utc
from slaengine.adapters.storage.run_tables import LeaseRow

DEFAULT_TTL_SECONDS = 60.0
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def new_holder() -> str:
    """`host:pid:token` naming this process (the token tells two locks of one process apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str) -> bool:
    """True when `holder` is a process of this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, another user's
        return False
    return False


class DatabaseLock(Protocol):
    name: str
    holder: str

    def acquire(self) -> bool: ...
    def renew(self) -> bool: ...
    def release(self) -> None: ...
    def current_holder(self) -> str | None: ...


class LeaseLock:
    """A lease row with an expiry (SQLite, or any database without advisory locks)."""

    def __init__(
        self,
        engine: Engine,
        name: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        holder: str | None = None,
        clock: Clock = _now,
    ) -> None:
        self.engine, self.name, self.ttl = engine, name, timedelta(seconds=ttl_seconds)
        self.holder = holder or new_holder()
        self.clock = clock

    def acquire(self) -> bool:
        """Take the lease if free, expired, ours, or held by a dead local process."""
        now = self.clock().astimezone(UTC)
        try:
            with Session(self.engine) as session:
                row = session.get(LeaseRow, self.name)
                if row is None:
                    session.add(
                        LeaseRow(
                            name=self.name,
                            holder=self.holder,
                            acquired_at=now,
                            expires_at=now + self.ttl,
                        )
                    )
                    session.commit()
                    return True
                may_take = self._may_take(row, now)
                seen = (row.holder, utc(row.expires_at))
            # the session's transaction is over before the swap opens its own: on SQLite
            # every transaction takes the write lock (BEGIN IMMEDIATE), and a second one in
            # the same thread would wait for the first until the busy timeout
            return may_take and self._swap(*seen, now)
        except (IntegrityError, OperationalError):  # another process won the race
            return False

    def _may_take(self, row: LeaseRow, now: datetime) -> bool:
        return row.holder == self.holder or utc(row.expires_at) <= now or holder_is_dead(row.holder)

    def _swap(self, old_holder: str, old_expiry: datetime, now: datetime) -> bool:
        """Compare-and-set: only one of several processes replaces the same old row."""
        statement = (
            update(LeaseRow)
            .where(
                col(LeaseRow.name) == self.name,
                col(LeaseRow.holder) == old_holder,
                col(LeaseRow.expires_at) == old_expiry,
            )
            .values(holder=self.holder, acquired_at=now, expires_at=now + self.ttl)
        )
        with self.engine.begin() as connection:
            return bool(connection.execute(statement).rowcount == 1)

    def renew(self) -> bool:
        """Push the expiry forward; False when the lease was lost to another holder."""
        now = self.clock().astimezone(UTC)
        statement = (
            update(LeaseRow)
            .where(col(LeaseRow.name) == self.name, col(LeaseRow.holder) == self.holder)
            .values(expires_at=now + self.ttl)
        )
        with self.engine.begin() as connection:
            return bool(connection.execute(statement).rowcount == 1)

    def release(self) -> None:
        statement = delete(LeaseRow).where(
            col(LeaseRow.name) == self.name, col(LeaseRow.holder) == self.holder
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def current_holder(self) -> str | None:
        return _holder_row(self.engine, self.name)


def _holder_row(engine: Engine, name: str) -> str | None:
    with Session(engine) as session:
        row = session.exec(select(LeaseRow).where(LeaseRow.name == name)).first()
        return row.holder if row else None


class AdvisoryLock:
    """A PostgreSQL session advisory lock, on a connection of its own."""

    def __init__(
        self, engine: Engine, name: str, *, holder: str | None = None, clock: Clock = _now
    ) -> None:
        self.engine, self.name = engine, name
        self.holder = holder or new_holder()
        self.clock = clock
        self.key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        if self._connection is not None:
            return True
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        if not got.scalar():
            connection.close()
            return False
        self._connection = connection
        self._note_holder()
        return True

    def _note_holder(self) -> None:
        now = self.clock().astimezone(UTC)
        with Session(self.engine) as session:
            row = session.get(LeaseRow, self.name) or LeaseRow(
                name=self.name, holder=self.holder, acquired_at=now, expires_at=now
            )
            row.holder, row.acquired_at, row.expires_at = self.holder, now, now
            session.add(row)
            session.commit()

    def renew(self) -> bool:
        """True while the lock's connection is alive (the server holds the lock for it)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except OperationalError:
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        finally:
            self._connection.close()
            self._connection = None

    def current_holder(self) -> str | None:
        return _holder_row(self.engine, self.name)


def database_lock(
    engine: Engine, name: str, *, ttl_seconds: float = DEFAULT_TTL_SECONDS, clock: Clock = _now
) -> DatabaseLock:
    """The lock that suits the engine's database: advisory on PostgreSQL, else a lease row."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, name, clock=clock)
    return LeaseLock(engine, name, ttl_seconds=ttl_seconds, clock=clock)


class LockLost(Exception):
    """The lock's renewal failed: another process may act; stop acting."""


@contextmanager
def kept(
    lock: DatabaseLock, *, every_seconds: float, on_lost: Callable[[], None]
) -> Iterator[None]:
    """Renew an acquired `lock` from a daemon thread every `every_seconds`; release at exit."""
    stop = threading.Event()

    def renew_loop() -> None:
        while not stop.wait(every_seconds):
            try:
                alive = lock.renew()
            except Exception:  # the database went away: treat as lost
                alive = False
            if not alive:
                on_lost()
                return

    thread = threading.Thread(target=renew_loop, name=f"lease-{lock.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every_seconds + 5)
        lock.release()
