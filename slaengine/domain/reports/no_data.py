"""A month with no data: a contract in force whose provider sent no contacts or intervals.

Such a month is said plainly wherever it is reported (scorecard, portfolio, the director's
e-mail, month-to-date alerts) with what was expected, and never counted as met or as
"0 breaches": its objectives are not determined, not honoured.
"""

from __future__ import annotations

from collections.abc import Iterable

from slaengine.domain.contract.model import CHANNELS, Contract
from slaengine.domain.reports.text import channels_text, format_period
from slaengine.i18n import _

KPI_FEEDS = ("contacts", "intervals")  # the feeds objectives are computed from


def has_kpi_data(kinds: Iterable[str]) -> bool:
    """True when a contacts or intervals feed file was received (costs alone are not data)."""
    return any(kind in KPI_FEEDS for kind in kinds)


def expected_feeds(contract: Contract) -> str:
    """`contacts or intervals feed, channels: phone, chat`: what the objectives are computed
    from."""
    wanted = {channel for objective in contract.objectives for channel in objective.channels}
    channels = channels_text(tuple(channel for channel in CHANNELS if channel in wanted))
    return _("contacts or intervals feed, channels: {channels}").format(channels=channels)


def no_data_text(contract: Contract, period: str, kinds: Iterable[str]) -> str | None:
    """`No data received for October 2026 (expected: …)`, or None when data arrived."""
    if has_kpi_data(kinds):
        return None
    return _("no data received for {month} (expected: {feeds})").format(
        month=format_period(period), feeds=expected_feeds(contract)
    )
