"""A contract diff in its reader's language: `contract diff` and the backtest report's terms.

The changes themselves (`slaengine.domain.procurement.diff`) are language-free; this module
says each one with the active report locale's words (gettext) and Babel formats: targets as
`≥ 88,5 %` / `≥ 88.5%`, money as `120 000,00 €` / `€120,000.00`, dates as `1 janv. 2027`, and the
side each change favours. `--json` keeps the language-free `text` of each change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from slaengine.domain.contract.model import (
    CHANNELS,
    Calendar,
    ContinuousImprovement,
    Contract,
    ExclusionEvent,
    IncentiveEarn,
    Incentives,
    Objective,
    ReliefRules,
    RequestDelay,
)
from slaengine.domain.contract.units import Duration, Percent, Target
from slaengine.domain.procurement.changes import Change, Hours
from slaengine.domain.procurement.diff import SECTIONS
from slaengine.domain.reports.text import (
    KPI_NAMES,
    WINDOW_NAMES,
    channels_text,
    duration_words,
    format_day,
    format_money,
    format_period,
    kpi_name,
    level_label,
    sourcing_label,
)
from slaengine.i18n import N_, _, current, ngettext

SECTION_TITLES: dict[str, str] = {
    "contract": N_("Contract"),
    "objectives": N_("Objectives"),
    "calendars": N_("Calendars"),
    "credits": N_("Credits"),
    "incentives": N_("Incentives"),
    "exclusions": N_("Exclusions"),
    "chronic_failure": N_("Chronic failure"),
    "continuous_improvement": N_("Continuous improvement"),
}
# the subjects and fields a diff names, besides objective ids and calendar names
LABELS: dict[str, str] = {
    "id": N_("contract id"),
    "title": N_("title"),
    "provider": N_("provider"),
    "sourcing": N_("sourcing"),
    "activity": N_("activity"),
    "effective from": N_("in force from"),
    "effective to": N_("in force until"),
    "timezone": N_("time zone"),
    "currency": N_("currency"),
    "kpi": N_("indicator"),
    "channel": N_("channels"),
    "threshold": N_("threshold"),
    "denominator": N_("denominator"),
    "short_abandon": N_("short abandons up to"),
    "calendar": N_("opening hours calendar"),
    "clock": N_("clock"),
    "target": N_("target"),
    "window": N_("window"),
    "allowed_misses": N_("allowed misses"),
    "min_volume": N_("minimum volume"),
    "level": N_("level"),
    "satisfied_from": N_("satisfied from score"),
    "opening hours": N_("opening hours"),
    "public holidays of": N_("public holidays of"),
    "credits": N_("credits"),
    "monthly fee": N_("monthly fee"),
    "at risk": N_("amount at risk"),
    "pool": N_("allocation pool"),
    "earn-back months": N_("earn-back months"),
    "allocation": N_("allocation"),
    "incentives": N_("incentives"),
    "cap": N_("cap"),
    "offset against credits": N_("offset against credits"),
    "bonus share": N_("bonus share"),
    "bonus when": N_("bonus when"),
    "volume band": N_("volume band"),
    "over forecast": N_("over forecast"),
    "chronic failure": N_("chronic failure"),
    "chronic_failure": N_("chronic failure"),
    "breaches": N_("breaches"),
    "within months": N_("within months"),
    "continuous improvement": N_("continuous improvement"),
    "continuous_improvement": N_("continuous improvement"),
    "after months": N_("after months"),
    "objectives": N_("objectives"),
    "relief": N_("relief"),
    "request within": N_("request deadline"),
    "deadline calendar": N_("deadline calendar"),
    "max hours per month": N_("monthly allowance"),
}
VALUE_WORDS: dict[str, str] = {
    "open end": N_("open end"),
    "removed": N_("removed"),
    "all": N_("all"),
    "business": N_("business hours"),
    "calendar": N_("calendar hours"),
    "offered": N_("offered"),
    "offered_excluding_short_abandons": N_("offered minus short abandons"),
    "answered_and_late_abandons": N_("answered plus late abandons"),
    "answered": N_("answered"),
    "in-house": N_("in-house"),
    "outsourced": N_("outsourced"),
    "no deadline": N_("no deadline"),
    "no limit": N_("no limit"),
}
DAY_WORDS: dict[str, str] = {
    "mon": N_("Mon"),
    "tue": N_("Tue"),
    "wed": N_("Wed"),
    "thu": N_("Thu"),
    "fri": N_("Fri"),
    "sat": N_("Sat"),
    "sun": N_("Sun"),
}


def label(name: str) -> str:
    """A diff's subject or field in the reader's language (an id stays as it is)."""
    return _(LABELS[name]) if name in LABELS else name


def percent_words(fraction: Decimal) -> str:
    """`88,5 %` / `88.5%`: as many decimals as the contract wrote (0 to 2)."""
    digits = min(max(-(fraction * 100).normalize().as_tuple().exponent, 0), 2)  # type: ignore[operator]
    return current().percent(float(fraction), digits)


def number_words(number: Decimal | int) -> str:
    value = Decimal(number)
    digits = min(max(-value.normalize().as_tuple().exponent, 0), 2)  # type: ignore[operator]
    return current().decimal(value, digits)


def target_words(target: Target) -> str:
    """`≥ 88,5 %`, `≤ 30 s`, `≥ 30`."""
    symbol = {">=": "≥", "<=": "≤"}.get(target.operator, target.operator)
    if target.unit == "fraction":
        shown = percent_words(target.value)
    elif target.unit == "seconds":
        shown = f"{number_words(target.value)}\u00a0s"
    else:
        shown = number_words(target.value)
    return f"{symbol}\u00a0{shown}"


def delay_words(delay: RequestDelay) -> str:
    """`5 business days` / `5 jours ouvrés`, `1 day` / `1 jour`."""
    if delay.business:
        message = ngettext("{count} business day", "{count} business days", delay.days)
    else:
        message = ngettext("{count} day", "{count} days", delay.days)
    return message.format(count=current().count(delay.days))


def hours_amount(hours: Decimal) -> str:
    """`16 h`, `7,5 h` / `7.5 h`: a number of hours (relief's monthly allowance)."""
    return f"{number_words(hours)}\u00a0h"


def relief_words(rules: ReliefRules) -> str:
    """`requests within 5 business days on calendar “office”, at most 16 h of approved relief
    a month`: the limits of `exclusions.relief` in a phrase."""
    parts = []
    if rules.delay is not None:
        if rules.calendar:
            parts.append(
                _("requests within {delay} on calendar “{calendar}”").format(
                    delay=delay_words(rules.delay), calendar=rules.calendar
                )
            )
        else:
            parts.append(_("requests within {delay}").format(delay=delay_words(rules.delay)))
    if rules.max_hours_per_month is not None:
        parts.append(
            _("at most {hours} of approved relief a month").format(
                hours=hours_amount(rules.max_hours_per_month)
            )
        )
    return ", ".join(parts) or _("no deadline and no monthly limit")


def hours_words(calendar: Calendar) -> str:
    """`Mon–Sat 08:00–22:00; Sun 09:00–13:00, 14:00–18:00`."""
    parts = []
    for days, hours in calendar.weekly.items():
        named = "–".join(_(DAY_WORDS.get(day, day)) for day in days.split("-"))
        parts.append(f"{named} {', '.join(h.replace('-', '–') for h in hours)}")
    return "; ".join(parts)


def value_words(value: Any, currency: str) -> str:
    """A contract value as its reader writes it."""
    if value is None:
        return _("none")
    if isinstance(value, Target):
        return target_words(value)
    if isinstance(value, Percent):
        return percent_words(value.fraction)
    if isinstance(value, Duration):
        return duration_words(value)
    if isinstance(value, RequestDelay):
        return delay_words(value)
    if isinstance(value, Hours):
        return hours_amount(value.hours)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return format_money(value, currency)
    if isinstance(value, int):
        return current().count(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, Calendar):
        return hours_words(value)
    if isinstance(value, tuple | list):
        items = tuple(value)
        if items and all(item in CHANNELS for item in items):
            return channels_text(items)
        return ", ".join(value_words(item, currency) for item in items) or _("none")
    return _str_words(str(value))


def _str_words(text: str) -> str:
    if text in KPI_NAMES:
        return kpi_name(text)
    if text in WINDOW_NAMES:
        return _(WINDOW_NAMES[text])
    if text in ("critical", "key"):
        return level_label(text)
    if text in ("in-house", "outsourced"):
        return sourcing_label(text)
    if text in VALUE_WORDS:
        return _(VALUE_WORDS[text])
    if text in CHANNELS:
        return channels_text((text,))
    return text


def side_words(change: Change) -> str:
    """`(harder for the provider)`, `(favours the client)`; empty when neither side."""
    if change.favours is None:
        return ""
    if change.section == "objectives" and change.kind == "change":
        words = (
            _("easier for the provider")
            if change.favours == "provider"
            else _("harder for the provider")
        )
    else:
        words = (
            _("favours the provider") if change.favours == "provider" else _("favours the client")
        )
    return f" ({words})"


def objective_summary(objective: Objective) -> str:
    """`service level, phone, within 20 s, ≥ 80 %, per month, critical`."""
    parts = [kpi_name(objective.kpi), channels_text(objective.channels)]
    if objective.threshold is not None:
        parts.append(_("within {duration}").format(duration=duration_words(objective.threshold)))
    if objective.target is not None:
        parts.append(target_words(objective.target))
    window = _(WINDOW_NAMES.get(objective.window, objective.window))
    parts.append(_("per {window}").format(window=window))
    parts.append(level_label(objective.level))
    return ", ".join(parts)


def _bonus(earn: IncentiveEarn) -> str:
    return _("{share} of the cap when the month reaches {when}").format(
        share=percent_words(earn.share.fraction), when=target_words(earn.when)
    )


def _event(event: ExclusionEvent, contract: Contract) -> str:
    channels = channels_text(event.channels) if event.channels else _("all channels")
    if event.queues:
        channels += ", " + _("queues {queues}").format(queues=", ".join(event.queues))
    zone = contract.zone
    when = current().interval(event.start.astimezone(zone), event.end.astimezone(zone))
    return _("{when}, {channels}: {reason}").format(
        when=when, channels=channels, reason=event.reason
    )


def change_words(change: Change, contract: Contract) -> str:
    """One change in a sentence of the reader's language, with the side it favours; money in
    `contract`'s currency and instants in its time zone (the newer of the two versions)."""
    subject, kind, currency = label(change.subject), change.kind, contract.currency
    if _without_values(change):
        return change.text  # built without its values (a term this module does not know yet)
    if kind == "objective_added":
        text = _("{subject}: objective added ({summary}), a new obligation").format(
            subject=subject, summary=objective_summary(change.after)
        )
    elif kind == "objective_removed":
        text = _("{subject}: objective removed ({summary}), one obligation less").format(
            subject=subject, summary=objective_summary(change.before)
        )
    elif kind in ("closed_added", "closed_removed"):
        message = (
            _("{subject}: closed on {day} (added)")
            if kind == "closed_added"
            else _("{subject}: no longer closed on {day}")
        )
        return message.format(subject=subject, day=format_day(change.after or change.before))
    elif kind in ("block_added", "block_removed"):
        text = _block_words(change, subject, currency)
    elif kind in ("bonus_added", "bonus_removed"):
        message = (
            _("{subject}: bonus added, {bonus}")
            if kind == "bonus_added"
            else _("{subject}: bonus removed, it was {bonus}")
        )
        text = message.format(subject=subject, bonus=_bonus(change.after or change.before))
    elif kind in ("event_added", "event_removed", "event_changed"):
        text = _event_words(change, contract)
    elif kind == "relief_added":
        text = _("relief limits added: {terms}").format(terms=relief_words(change.after))
    elif kind == "relief_removed":
        text = _("relief limits removed (they were: {terms})").format(
            terms=relief_words(change.before)
        )
    elif kind == "calendar_added":
        text = _("calendar {name} added: {hours}").format(
            name=change.subject, hours=hours_words(change.after)
        )
    elif kind == "calendar_removed":
        text = _("calendar {name} removed").format(name=change.subject)
    else:
        text = _change_line(change, subject, currency)
    return text + side_words(change)


def _without_values(change: Change) -> bool:
    shown = change.old is not None or change.new is not None
    return change.kind == "change" and change.before is None and change.after is None and shown


def _change_line(change: Change, subject: str, currency: str) -> str:
    old, new = (value_words(v, currency) for v in (change.before, change.after))
    if change.field is None:
        return _("{subject}: {old} → {new}").format(subject=subject, old=old, new=new)
    return _("{subject}: {field} {old} → {new}").format(
        subject=subject, field=label(change.field), old=old, new=new
    )


def _block_words(change: Change, subject: str, currency: str) -> str:
    present = change.after if change.kind == "block_added" else change.before
    if change.kind == "block_removed":
        return _("{subject}: removed").format(subject=subject)
    if isinstance(present, Incentives):
        return _("{subject}: added, capped at {cap} of the monthly fee").format(
            subject=subject, cap=percent_words(present.cap.fraction)
        )
    if isinstance(present, ContinuousImprovement):
        return _(
            "{subject}: added, targets move {move} to the achieved average after {months}"
            " months above them"
        ).format(subject=subject, move=_("halfway"), months=present.after_months)
    return _("{subject}: added").format(subject=subject)


def _event_words(change: Change, contract: Contract) -> str:
    if change.kind == "event_added":
        return _("excluded event {id} added: {event}").format(
            id=change.subject, event=_event(change.after, contract)
        )
    if change.kind == "event_removed":
        return _("excluded event {id} removed: {event}").format(
            id=change.subject, event=_event(change.before, contract)
        )
    return _("excluded event {id}: {old} → {new}").format(
        id=change.subject,
        old=_event(change.before, contract),
        new=_event(change.after, contract),
    )


def diff_lines(old: Contract, new: Contract, changes: tuple[Change, ...]) -> list[str]:
    """The human listing: a heading per section, one line per change, a count at the end."""
    head = _("{old_id} version {old_version} → {new_id} version {new_version}").format(
        old_id=old.id, old_version=old.version, new_id=new.id, new_version=new.version
    )
    if not changes:
        return [head, _("no differences")]
    lines = [head]
    for section in SECTIONS:
        mine = [change for change in changes if change.section == section]
        if mine:
            lines.append(_(SECTION_TITLES[section]))
            lines += [f"  {change_words(change, new)}" for change in mine]
    lines.append(summary_words(changes))
    return lines


def summary_words(changes: tuple[Change, ...]) -> str:
    """`12 changes: 4 favour the provider, 6 the client, 2 neither`."""
    provider = sum(1 for change in changes if change.favours == "provider")
    client = sum(1 for change in changes if change.favours == "client")
    count = ngettext("{count} change", "{count} changes", len(changes)).format(count=len(changes))
    return _(
        "{changes}: {provider} favour the provider, {client} the client, {neither} neither"
    ).format(
        changes=count, provider=provider, client=client, neither=len(changes) - provider - client
    )


def month_range(first: str, last: str) -> str:
    """`de juin 2026 à octobre 2026`, `d'avril 2026 à août 2026` / `from June 2026 to October
    2026`: a range of months in words, one way everywhere (headers and prose)."""
    text = _("from {first} to {last}").format(first=format_period(first), last=format_period(last))
    # French elides `de` before a vowel: d'avril, d'août, d'octobre
    if current().code == "fr_FR" and text.startswith("de ") and text[3:4] in "aeiouéèâ":
        text = "d'" + text[3:]
    return text


def months_words(periods: Sequence[str]) -> str:
    """`juin 2026, juillet 2026`; `none` when empty."""
    return ", ".join(format_period(period) for period in periods) or _("none")
