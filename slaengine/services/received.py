"""Which feeds a contract received for a month: what the no-data lines and alerts rest on."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy.engine import Engine

from slaengine.adapters.storage.feed_repo import feed_files_for_period
from slaengine.domain.contract.model import Contract
from slaengine.domain.reports.text import period_days


def received_kinds(engine: Engine, contract: Contract, period: str) -> set[str]:
    """The kinds of the feed files holding rows of `period` (local month of the contract)."""
    first, last = period_days(period)
    start = datetime.combine(first, time(), contract.zone)
    end = datetime.combine(date.fromordinal(last.toordinal() + 1), time(), contract.zone)
    return {str(record.kind) for record in feed_files_for_period(engine, contract.id, start, end)}
