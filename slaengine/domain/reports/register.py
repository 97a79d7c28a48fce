"""What the breach register and the data-quality section of a scorecard say.

Shared with the audit report: `FeedFileInfo` is a stored feed file as reports show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.results import Evaluation, ObjectiveResult, WindowResult
from slaengine.domain.reports.text import (
    channel_label,
    days_of,
    format_count,
    format_day,
    format_money,
    format_period,
    format_target,
    format_value,
    status_mark,
)
from slaengine.i18n import _, ngettext


@dataclass(frozen=True)
class FeedFileInfo:
    """One stored feed file as reports show it (the storage record, minus the database)."""

    file_name: str
    kind: str
    sha256: str
    rows: int
    stored: int
    quarantined: int
    reasons: Mapping[str, int]
    received_at: datetime | None = None
    source: str | None = None
    status: str | None = None

    @property
    def reasons_text(self) -> str:
        """`invalid timestamp (bad_timestamp): 3; …` in the report language, or `–`."""
        from slaengine.domain.reports.quarantine_words import reasons_words

        return reasons_words(self.reasons)


@dataclass(frozen=True)
class BreachEntry:
    """One breached window (or the period line of a day/week objective) and its credit."""

    objective_id: str
    window: str
    actual: str
    target: str
    figures: str
    exclusions: str
    credit: str


@dataclass(frozen=True)
class WindowLine:
    """One day or week window of a windowed objective, as an auditor recomputes it."""

    window: str
    numerator: str
    denominator: str
    value: str
    volume: str
    status: str


@dataclass(frozen=True)
class DataQuality:
    feeds: tuple[FeedFileInfo, ...]
    missing_days: tuple[date, ...]
    missing_days_checked: bool
    pending_contacts: tuple[tuple[str, int], ...]
    excluded_days: tuple[str, ...]


def window_label(window: WindowResult) -> str:
    days = (window.end - window.start).days
    if days == 1:
        return format_day(window.start)
    if window.start.day == 1 and days >= 28:
        return format_period(window.start.strftime("%Y-%m"))
    last = date.fromordinal(window.end.toordinal() - 1)
    return f"{format_day(window.start)} – {format_day(last)}"


def _figures(
    numerator: int | Decimal | None, denominator: int | Decimal | None, volume: int
) -> str:
    contacts = ngettext("{n} contact", "{n} contacts", volume).format(n=format_count(volume))
    return f"{format_count(numerator)} / {format_count(denominator)} ({contacts})"


def exclusions_applied(
    contract: Contract,
    evaluation: Evaluation,
    result: ObjectiveResult,
    window: WindowResult | None = None,
) -> str:
    """What was taken out of an objective (or one of its windows): contacts, days, events."""
    parts: list[str] = []
    if result.excluded_contacts and window is None:
        parts.append(
            ngettext("{n} contact excluded", "{n} contacts excluded", result.excluded_contacts)
            .format(n=format_count(result.excluded_contacts))
        )  # fmt: skip
    for day in evaluation.excluded_days:
        if day.channel in result.channels and _inside(day.day, window):
            parts.append(
                _("{day} {channel} over forecast ({contacts} vs {forecast})").format(
                    day=format_day(day.day),
                    channel=channel_label(day.channel),
                    contacts=format_count(day.contacts),
                    forecast=format_count(day.forecast),
                )
            )
    events = contract.exclusions.events if contract.exclusions else ()
    for event in events:
        channels = event.channels or result.channels
        local = event.start.astimezone(contract.zone).date()
        if (
            set(channels) & set(result.channels)
            and local.strftime("%Y-%m") == evaluation.period
            and _inside(local, window)
        ):
            parts.append(
                _("event {id}: {reason} (approved by {who})").format(
                    id=event.id, reason=event.reason, who=event.approved_by
                )
            )
    return "; ".join(parts) if parts else _("none")


def _inside(day: date, window: WindowResult | None) -> bool:
    return window is None or window.start <= day < window.end


def breach_register(contract: Contract, evaluation: Evaluation) -> tuple[BreachEntry, ...]:
    """Every breached window, then the period line (with the credit) of each breach."""
    entries: list[BreachEntry] = []
    money = contract.currency
    for result in evaluation.objectives:
        windowed = len(result.windows) > 1
        for window in result.windows if windowed else ():
            if window.status != "breached":
                continue
            entries.append(
                BreachEntry(
                    result.objective_id,
                    window_label(window),
                    format_value(window.value, result.kpi),
                    format_target(result.target, result.target_value, result.kpi),
                    _figures(window.numerator, window.denominator, window.volume),
                    exclusions_applied(contract, evaluation, result, window),
                    "–",
                )
            )
        if result.status == "breached":
            label = format_period(evaluation.period)
            if windowed:
                missed = ngettext(
                    "{n} window missed", "{n} windows missed", result.windows_breached
                ).format(n=result.windows_breached)
                allowed = ngettext("{n} allowed", "{n} allowed", result.allowed_misses).format(
                    n=result.allowed_misses
                )
                label = _("{label}: {value}").format(label=label, value=f"{missed}, {allowed}")
            entries.append(
                BreachEntry(
                    result.objective_id,
                    label,
                    format_value(result.value, result.kpi),
                    format_target(result.target, result.target_value, result.kpi),
                    _figures(result.numerator, result.denominator, result.volume),
                    exclusions_applied(contract, evaluation, result),
                    format_money(result.credit, money),
                )
            )
    return tuple(entries)


def window_lines(result: ObjectiveResult) -> tuple[WindowLine, ...]:
    """Each window's counts, value and status (nothing for a single-window objective)."""
    if len(result.windows) <= 1:
        return ()
    return tuple(
        WindowLine(
            window_label(w),
            format_count(w.numerator),
            format_count(w.denominator),
            format_value(w.value, result.kpi),
            format_count(w.volume),
            status_mark(w.status),
        )
        for w in result.windows
    )


def missing_days(
    evaluation: Evaluation, closed: Mapping[date, str] | None = None
) -> tuple[tuple[date, ...], bool]:
    """Days without a single contact in any day-window objective.

    Closed days, days excluded by the volume band and excused windows are not missing.
    Returns (days, checked): without a day-window objective nothing can be said.
    """
    daily = [
        r
        for r in evaluation.objectives
        if r.windows and all((w.end - w.start).days == 1 for w in r.windows)
    ]
    if not daily:
        return (), False
    volume: dict[date, int] = {}
    explained = set(closed or {}) | {day.day for day in evaluation.excluded_days}
    for result in daily:
        for window in result.windows:
            volume[window.start] = volume.get(window.start, 0) + window.volume
            if window.status == "excused":
                explained.add(window.start)
    days = tuple(
        d
        for d in days_of(evaluation.period)
        if d in volume and volume[d] == 0 and d not in explained
    )
    return days, True


def data_quality(
    evaluation: Evaluation, feeds: Sequence[FeedFileInfo], closed: Mapping[date, str] | None
) -> DataQuality:
    missing, checked = missing_days(evaluation, closed)
    pending = tuple(
        (r.objective_id, r.pending_contacts) for r in evaluation.objectives if r.pending_contacts
    )
    excluded = tuple(
        f"{format_day(d.day)} {channel_label(d.channel)}: "
        + _("{contacts} contacts against a forecast of {forecast} (over the volume band)").format(
            contacts=format_count(d.contacts), forecast=format_count(d.forecast)
        )
        for d in evaluation.excluded_days
    )
    return DataQuality(tuple(feeds), missing, checked, pending, excluded)
