"""What the audit report says: everything needed to reproduce an evaluation's figures.

The contract as evaluated (file hash and full text), calendars with the closed days that
applied in the period, every feed file, exclusions, each objective's formula with its counts,
restatements, the engine version, and one sha256 over all of these inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from slaengine.domain.contract.calendars import BusinessCalendar
from slaengine.domain.contract.model import Calendar, Contract
from slaengine.domain.evaluation.results import Evaluation, ObjectiveResult
from slaengine.domain.reports.engine_words import engine_words
from slaengine.domain.reports.incentives import IncentivesView, incentives_view
from slaengine.domain.reports.register import FeedFileInfo, WindowLine, window_lines
from slaengine.domain.reports.relief import ReliefLine
from slaengine.domain.reports.text import (
    channel_label,
    channels_text,
    describe_objective,
    format_count,
    format_day,
    format_money,
    format_target,
    format_value,
    period_days,
    status_label,
    window_words,
)
from slaengine.i18n import _, current, ngettext


@dataclass(frozen=True)
class AuditCalendar:
    name: str
    weekly: tuple[str, ...]
    holidays_rule: str
    closed_in_period: tuple[tuple[date, str], ...]


@dataclass(frozen=True)
class AuditExclusion:
    """A declared event or a day removed by the volume band, and what it removed."""

    kind: str
    name: str
    when: str
    channels: str
    reason: str
    removed: str


@dataclass(frozen=True)
class AuditFormula:
    objective_id: str
    kpi: str
    definition: str
    window: str
    formula: str
    target: str
    status: str
    volume: str
    excluded_contacts: str
    pending_contacts: str
    windows: str
    credit: str
    reason: str | None
    window_rows: tuple[WindowLine, ...] = ()


@dataclass(frozen=True)
class AuditReport:
    contract_id: str
    contract_version: int
    provider_name: str
    period: str
    as_of: datetime
    month_to_date: bool
    contract_file_hash: str
    contract_source: str | None
    spec_text: str
    calendars: tuple[AuditCalendar, ...]
    feeds: tuple[FeedFileInfo, ...]
    exclusions: tuple[AuditExclusion, ...]
    formulas: tuple[AuditFormula, ...]
    credits: tuple[tuple[str, str], ...]
    restatements: tuple[str, ...]
    notes: tuple[str, ...]
    engine_version: str
    input_hashes: tuple[str, ...]
    inputs_sha256: str
    lifecycle: str = ""  # provisional / final / restated line shown on every page
    zone: tzinfo | None = None
    incentives: IncentivesView | None = None  # None: the contract has no incentives block
    relief: tuple[ReliefLine, ...] = ()  # the month's relief requests and their trail


_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def day_keys_words(key: str) -> str:
    """`mon-fri` as `lun.–ven.` / `Mon–Fri`; keys it does not know are shown as written."""
    parts = []
    for part in key.split(","):
        days = [day.strip() for day in part.split("-")]
        if not all(day in _DAY_KEYS for day in days):
            return key
        parts.append("–".join(current().weekday(_DAY_KEYS.index(day)) for day in days))
    return ", ".join(parts)


def audit_calendar(name: str, calendar: Calendar, contract: Contract, period: str) -> AuditCalendar:
    """Weekly hours as written, the holiday rule, and the closed days inside the period."""
    weekly = tuple(
        _("{label}: {value}").format(label=day_keys_words(key), value=", ".join(hours))
        for key, hours in calendar.weekly.items()
    )
    rule = _("no holidays")
    if calendar.holidays is not None:
        parts = []
        if calendar.holidays.country:
            region = f"-{calendar.holidays.subdiv}" if calendar.holidays.subdiv else ""
            parts.append(
                _("public holidays of {country}").format(
                    country=f"{calendar.holidays.country}{region}"
                )
            )
        if calendar.holidays.closed:
            closed_days = ", ".join(format_day(d) for d in calendar.holidays.closed)
            parts.append(_("closed {days}").format(days=closed_days))
        rule = "; ".join(parts) or rule
    first, last = period_days(period)
    closed = BusinessCalendar(calendar, contract.zone, name).closed_days(first, last)
    return AuditCalendar(name, weekly, rule, tuple(sorted(closed.items())))


def audit_exclusions(contract: Contract, evaluation: Evaluation) -> tuple[AuditExclusion, ...]:
    found = []
    events = contract.exclusions.events if contract.exclusions else ()
    first, last = period_days(evaluation.period)
    for event in events:
        start, end = event.start.astimezone(contract.zone), event.end.astimezone(contract.zone)
        when = current().interval(start, end)
        inside = start.date() <= last and end.date() >= first
        removed = (
            _("contacts arriving inside, from every objective of these channels")
            if inside
            else _("nothing: outside the period")
        )
        found.append(
            AuditExclusion(
                _("event"),
                event.id,
                when,
                channels_text(event.channels or ()) or _("all channels"),
                _("{reason} (approved by {who})").format(
                    reason=event.reason, who=event.approved_by
                ),
                removed,
            )
        )
    for day in evaluation.excluded_days:
        found.append(
            AuditExclusion(
                _("volume band"),
                day.day.isoformat(),
                format_day(day.day),
                channel_label(day.channel),
                _("contacts over the forecast by more than the volume band allows"),
                _("{contacts} contacts (forecast {forecast})").format(
                    contacts=format_count(day.contacts), forecast=format_count(day.forecast)
                ),
            )
        )
    return tuple(found)


def audit_formula(contract: Contract, result: ObjectiveResult) -> AuditFormula:
    """The objective's definition and `numerator ÷ denominator → value`, as evaluated."""
    try:
        objective = contract.objective(result.objective_id)
        definition, window = describe_objective(objective), window_words(objective)
    except KeyError:
        definition, window = result.kpi, _("month")
    formula = (
        f"{format_count(result.numerator)} ÷ {format_count(result.denominator)}"
        f" → {format_value(result.value, result.kpi)}"
    )
    windows = "–"
    if len(result.windows) > 1:
        windows = ", ".join(
            part.format(n=count)
            for part, count in (
                (ngettext("{n} window", "{n} windows", len(result.windows)), len(result.windows)),
                (
                    ngettext(
                        "{n} window breached", "{n} windows breached", result.windows_breached
                    ),
                    result.windows_breached,
                ),
                (
                    ngettext("{n} allowed", "{n} allowed", result.allowed_misses),
                    result.allowed_misses,
                ),
            )
        )
    return AuditFormula(
        result.objective_id,
        result.kpi,
        definition,
        window,
        formula,
        format_target(result.target, result.target_value, result.kpi),
        status_label(result.status),
        format_count(result.volume),
        format_count(result.excluded_contacts),
        format_count(result.pending_contacts),
        windows,
        format_money(result.credit, contract.currency),
        engine_words(result.reason) if len(result.windows) <= 1 else None,  # windows say it
        window_lines(result),
    )


def _credit_lines(evaluation: Evaluation) -> tuple[tuple[str, str], ...]:
    c = evaluation.credits
    return (
        (_("at risk"), format_money(c.at_risk, c.currency)),
        (_("uncapped"), format_money(c.uncapped, c.currency)),
        (_("owed (capped)") if c.capped else _("owed"), format_money(c.total, c.currency)),
        (_("earned back"), format_money(c.earned_back, c.currency)),
        (_("net"), format_money(c.net, c.currency)),
    )


def inputs_sha256(
    *,
    engine_version: str,
    contract_file_hash: str,
    spec_text: str,
    evaluation: Evaluation,
    feeds: Sequence[FeedFileInfo],
) -> str:
    """sha256 over one canonical line per input, so anyone can recompute it.

    Lines: `engine V`, `contract ID vN HASH`, `spec SHA256(text)`, `period P`, `as_of ISO`,
    then `feed SHA256 KIND` per file and `input HASH` per evaluation input, each sorted.
    """
    lines = [
        f"engine {engine_version}",
        f"contract {evaluation.contract_id} v{evaluation.contract_version} {contract_file_hash}",
        f"spec {hashlib.sha256(spec_text.encode()).hexdigest()}",
        f"period {evaluation.period}",
        f"as_of {evaluation.as_of.isoformat()}",
        *sorted(f"feed {feed.sha256} {feed.kind}" for feed in feeds),
        *sorted(f"input {digest}" for digest in evaluation.input_hashes),
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def build_audit(
    contract: Contract,
    evaluation: Evaluation,
    *,
    spec_text: str,
    contract_file_hash: str,
    engine_version: str,
    feeds: Sequence[FeedFileInfo] = (),
    restatements: Sequence[str] = (),
    contract_source: str | None = None,
) -> AuditReport:
    """The audit report of `evaluation`; `spec_text` is the contract file exactly as loaded."""
    restated = (_("this final result restates an earlier one"),) if evaluation.restated else ()
    return AuditReport(
        contract_id=contract.id,
        contract_version=evaluation.contract_version,
        provider_name=contract.provider.name,
        period=evaluation.period,
        as_of=evaluation.as_of,
        month_to_date=evaluation.month_to_date,
        contract_file_hash=contract_file_hash,
        contract_source=contract_source,
        spec_text=spec_text,
        calendars=tuple(
            audit_calendar(name, cal, contract, evaluation.period)
            for name, cal in contract.calendars.items()
        ),
        feeds=tuple(sorted(feeds, key=lambda f: (f.kind, f.file_name, f.sha256))),
        exclusions=audit_exclusions(contract, evaluation),
        formulas=tuple(audit_formula(contract, r) for r in evaluation.objectives),
        credits=_credit_lines(evaluation),
        incentives=incentives_view(contract, evaluation),
        restatements=tuple(dict.fromkeys([*restated, *restatements])),
        notes=tuple(str(engine_words(note)) for note in evaluation.notes),
        engine_version=engine_version,
        input_hashes=evaluation.input_hashes,
        zone=contract.zone,
        inputs_sha256=inputs_sha256(
            engine_version=engine_version,
            contract_file_hash=contract_file_hash,
            spec_text=spec_text,
            evaluation=evaluation,
            feeds=feeds,
        ),
    )
