"""Builders for feed files in tests: one good row per kind, rows overridden column by column."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

GOOD: dict[str, dict[str, str]] = {
    "contacts": {
        "contact_id": "g1",
        "channel": "phone",
        "queue": "general",
        "arrived_at": "2026-10-01T08:00:00+02:00",
        "answered_at": "2026-10-01T08:00:12+02:00",
        "abandoned_at": "",
        "handle_seconds": "200",
        "resolved_first_contact": "true",
        "csat": "5",
        "nps": "9",
    },
    "intervals": {
        "interval_start": "2026-10-01T08:00:00+02:00",
        "interval_minutes": "15",
        "channel": "phone",
        "queue": "general",
        "offered": "10",
        "answered": "8",
        "abandoned": "2",
        "abandoned_short": "1",
        "answered_within_threshold": "7",
        "threshold_seconds": "20",
        "short_abandon_seconds": "5",
        "wait_seconds_answered": "80",
        "handle_seconds": "1600",
    },
    "costs": {
        "month": "2026-10",
        "channel": "all",
        "amount": "120000.00",
        "currency": "EUR",
        "kind": "fee",
    },
    "forecasts": {"date": "2026-10-01", "channel": "phone", "contacts": "1000"},
}


def row(feed_kind: str, /, **changes: str) -> dict[str, str]:
    """The good row of `kind` with some columns changed."""
    return {**GOOD[feed_kind], **changes}


def csv_text(rows: Sequence[Mapping[str, str]], columns: Sequence[str] | None = None) -> str:
    names = list(columns or rows[0].keys())
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_csv(
    path: Path, rows: Sequence[Mapping[str, str]], columns: Sequence[str] | None = None
) -> Path:
    path.write_text(csv_text(rows, columns), encoding="utf-8")
    return path


def contact(
    contact_id: str, answered: str = "2026-10-01T08:00:12+02:00", **changes: str
) -> dict[str, str]:
    """A good phone contact arriving 2026-10-01 08:00 Paris time, answered at `answered`."""
    return row("contacts", contact_id=contact_id, answered_at=answered, **changes)
