"""Removing files the registry does not name: parts of ingestions that died or rolled back,
parts retired by a rewrite whose removal failed, temporary files of interrupted writes (on an
object store: the local scratch folder where parts wait for their upload).

Not by age alone: the sweep holds the store lock exclusively (`guard.held_exclusive`), so no
ingestion is between writing its parts and committing them while it runs, and it asks the
registry again about each file at the moment it removes it. The grace period is a second
guard (a writer that does not take the lock, such as an older slaengine).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.guard import claim_store, held_exclusive, registered
from slaengine.adapters.columnar.location import DataStore, open_store
from slaengine.adapters.columnar.store import KINDS, PART

DEFAULT_GRACE_SECONDS = 3600.0  # second guard: a writer that does not take the store lock
DEFAULT_WAIT_SECONDS = 60.0  # how long the sweep waits for running ingestions to commit


def _modified(info: dict[str, Any]) -> float | None:
    """Seconds since the epoch of a file's last change, whatever the file system calls it."""
    for name in ("mtime", "LastModified", "last_modified", "created"):
        value = info.get(name)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
    return None


def sweep(
    engine: Engine,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
) -> list[str]:
    """Delete the unregistered files older than the grace period; their paths, sorted.

    Only the store's own folders (contacts/, history/, intervals/) and, for an object store,
    its local scratch folder are looked at. Raises StorageError when the store belongs to
    another catalogue, or when ingestions still write after `wait_seconds`.
    """
    store = open_store(engine)
    with held_exclusive(engine, wait_seconds) as connection:
        claim_store(connection, store)
        known = {str(path) for (path,) in connection.execute(select(PART.c.path))}
        removed = []
        for relative in _unregistered(store, known, time.time() - grace_seconds):
            if registered(connection, [relative]):  # asked again at the moment of removing
                continue
            store.remove([relative])
            removed.append(relative)
        removed += _sweep_scratch(store, time.time() - grace_seconds)
    return removed


def _unregistered(store: DataStore, known: set[str], before: float) -> Iterator[str]:
    """The files of the store's folders that `known` does not name, changed before `before`."""
    for kind in KINDS:
        folder = store.full(kind)
        if not store.fs.exists(folder):
            continue
        for full, info in sorted(store.fs.find(folder, detail=True).items()):
            relative = str(full)[len(store.root) + 1 :]
            changed = _modified(info)
            if relative in known or (changed is not None and changed > before):
                continue
            yield relative


def _sweep_scratch(store: DataStore, before: float) -> list[str]:
    """An object store's local temporary parts left by killed ingestions (never registered)."""
    if store.local or not store.scratch().is_dir():
        return []
    removed = []
    for path in sorted(store.scratch().iterdir()):
        if path.is_file() and path.stat().st_mtime <= before:
            path.unlink(missing_ok=True)
            removed.append(str(path))
    return removed
