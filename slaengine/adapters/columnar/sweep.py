"""Removing files the registry does not name: parts of ingestions that died or rolled back,
parts retired by a rewrite whose removal failed, temporary files of interrupted writes."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from slaengine.adapters.columnar.location import open_store
from slaengine.adapters.columnar.store import KINDS, PART

DEFAULT_GRACE_SECONDS = 3600.0  # an ingestion still running has not registered its parts yet


def _modified(info: dict[str, Any]) -> float | None:
    """Seconds since the epoch of a file's last change, whatever the file system calls it."""
    for name in ("mtime", "LastModified", "last_modified", "created"):
        value = info.get(name)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
    return None


def sweep(engine: Engine, *, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> list[str]:
    """Delete the unregistered files older than the grace period; their paths, sorted.

    Only the store's own folders (contacts/, history/, intervals/) are looked at.
    """
    store = open_store(engine)
    with engine.connect() as connection:
        registered = {str(path) for (path,) in connection.execute(select(PART.c.path))}
    now = time.time()
    removed: list[str] = []
    for kind in KINDS:
        folder = store.full(kind)
        if not store.fs.exists(folder):
            continue
        for full, info in sorted(store.fs.find(folder, detail=True).items()):
            relative = str(full)[len(store.root) + 1 :]
            if relative in registered:
                continue
            changed = _modified(info)
            if changed is not None and now - changed < grace_seconds:
                continue
            store.remove([relative])
            removed.append(relative)
    return removed
