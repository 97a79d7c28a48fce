"""What changed between two contract versions, in words a procurement manager reads (SPEC 6).

Each change is one line ("phone-sl: target ≥ 86 % → ≥ 85 % (easier for the provider)") with
the side it favours where that is clear:

- provider: a looser target, a longer threshold, more allowed misses, a higher min_volume
  (more months left undetermined), a lower level, an objective removed, a higher fee, less
  at risk, smaller allocations, a shorter earn-back, more or larger incentives, incentives paid
  rather than offset, more exclusions (a lower volume band, an event added), a looser or
  removed chronic failure rule, continuous improvement removed or slower;
- client: the opposite of each;
- neither (None): what moves scope without a clear winner (kpi, channels, denominator,
  calendar, clock, window, opening hours, holidays, dates, names).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from slaengine.domain.contract import (
    Calendar,
    ContinuousImprovement,
    Contract,
    Credits,
    ExclusionEvent,
    Exclusions,
    IncentiveEarn,
    Incentives,
    Objective,
)
from slaengine.domain.units import Duration, Percent, Target

Side = Literal["provider", "client"]
SECTIONS = (
    "contract",
    "objectives",
    "calendars",
    "credits",
    "incentives",
    "exclusions",
    "chronic_failure",
    "continuous_improvement",
)
OBJECTIVE_FIELDS = (
    "kpi",
    "channel",
    "threshold",
    "denominator",
    "short_abandon",
    "calendar",
    "clock",
    "target",
    "window",
    "allowed_misses",
    "min_volume",
    "level",
    "satisfied_from",
)
_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_LEVEL_RANK = {"key": 0, "critical": 1}


@dataclass(frozen=True)
class Change:
    """One difference: `subject` (an objective id, a calendar name...) and `field` changed."""

    section: str
    subject: str
    field: str | None
    old: str | None
    new: str | None
    favours: Side | None
    text: str


def words(value: object) -> str:
    """A contract value as a procurement manager reads it: ≥ 85 %, 20 s, 10 %, 1 200.00."""
    if value is None:
        return "none"
    if isinstance(value, Target):
        number = _plain(value.value * 100 if value.unit == "fraction" else value.value)
        unit = {"fraction": " %", "seconds": " s", "number": ""}[value.unit]
        return f"{_SYMBOLS[value.operator]} {number}{unit}"
    if isinstance(value, Percent):
        return f"{_plain(value.fraction * 100)} %"
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    if isinstance(value, tuple | list):
        return ", ".join(words(item) for item in value) or "none"
    return str(value)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _change(
    section: str,
    subject: str,
    field: str | None,
    old: object,
    new: object,
    favours: Side | None,
    *,
    wording: tuple[str, str] = ("easier for the provider", "harder for the provider"),
) -> Change:
    label = f"{subject}: {field}" if field else subject
    text = f"{label} {words(old)} → {words(new)}"
    if favours is not None:
        text += f" ({wording[0] if favours == 'provider' else wording[1]})"
    shown_old, shown_new = (None if v is None else words(v) for v in (old, new))
    return Change(section, subject, field, shown_old, shown_new, favours, text)


MONEY = ("favours the provider", "favours the client")


def _by_size(old: Any, new: Any, bigger_favours: Side | None) -> Side | None:
    """The side a larger value favours, when both values exist and differ."""
    if old is None or new is None or old == new or bigger_favours is None:
        return None
    other: Side = "client" if bigger_favours == "provider" else "provider"
    return bigger_favours if new > old else other


def _target_favours(old: Target | None, new: Target | None) -> Side | None:
    if old is None or new is None or old.unit != new.unit:
        return None
    if old.higher_is_better != new.higher_is_better:
        return None
    from slaengine.domain.incentive_rules import at_least_as_strict

    if at_least_as_strict(new, old) and not at_least_as_strict(old, new):
        return "client"
    if at_least_as_strict(old, new) and not at_least_as_strict(new, old):
        return "provider"
    return None


# ------------------------------------------------------------------ the whole contract


def diff_contracts(old: Contract, new: Contract) -> tuple[Change, ...]:
    """Every change from `old` to `new`, section by section (SECTIONS order)."""
    changes: list[Change] = []
    changes += _contract_fields(old, new)
    changes += _objectives(old, new)
    changes += _calendars(old.calendars, new.calendars)
    changes += _credits(old.credits, new.credits)
    changes += _incentives(old.incentives, new.incentives)
    changes += _exclusions(old.exclusions, new.exclusions)
    changes += _chronic(old, new)
    changes += _improvement(old.continuous_improvement, new.continuous_improvement)
    return tuple(changes)


def _contract_fields(old: Contract, new: Contract) -> Iterator[Change]:
    pairs: list[tuple[str, object, object]] = [
        ("id", old.id, new.id),
        ("title", old.title, new.title),
        ("provider", old.provider.name, new.provider.name),
        ("sourcing", old.provider.sourcing, new.provider.sourcing),
        ("activity", old.activity, new.activity),
        ("effective from", old.effective.start, new.effective.start),
        ("effective to", old.effective.end or "open end", new.effective.end or "open end"),
        ("timezone", old.timezone, new.timezone),
        ("currency", old.currency, new.currency),
    ]
    for name, before, after in pairs:
        if before != after:
            yield _change("contract", name, None, before, after, None)


def _objectives(old: Contract, new: Contract) -> Iterator[Change]:
    before = {objective.id: objective for objective in old.objectives}
    after = {objective.id: objective for objective in new.objectives}
    for objective_id, objective in after.items():
        if objective_id not in before:
            text = f"{objective_id}: objective added ({_summary(objective)}) (new obligation)"
            yield Change(
                "objectives", objective_id, None, None, _summary(objective), "client", text
            )
    for objective_id, objective in before.items():
        if objective_id not in after:
            text = (
                f"{objective_id}: objective removed ({_summary(objective)}) (one obligation less)"
            )
            yield Change(
                "objectives", objective_id, None, _summary(objective), None, "provider", text
            )
        else:
            yield from _objective_fields(objective, after[objective_id])


def _summary(objective: Objective) -> str:
    parts = [objective.kpi, words(objective.channels)]
    if objective.threshold is not None:
        parts.append(f"within {objective.threshold}")
    if objective.target is not None:
        parts.append(words(objective.target))
    parts.append(f"per {objective.window}, {objective.level}")
    return " ".join(parts[:2]) + ", " + ", ".join(parts[2:])


def _objective_fields(old: Objective, new: Objective) -> Iterator[Change]:
    for name in OBJECTIVE_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if name == "channel":
            before, after = old.channels, new.channels
        if before != after:
            yield _change(
                "objectives", old.id, name, before, after, _objective_favours(name, old, new)
            )


def _objective_favours(name: str, old: Objective, new: Objective) -> Side | None:
    if name == "target":
        return _target_favours(old.target, new.target)
    if (
        name == "threshold"
        and old.kpi == new.kpi
        and old.kpi in ("service_level", "response_within")
    ):
        return _by_size(old.threshold, new.threshold, "provider")
    if name == "allowed_misses":
        return _by_size(old.allowed_misses or 0, new.allowed_misses or 0, "provider")
    if name == "min_volume":
        return _by_size(old.min_volume or 0, new.min_volume or 0, "provider")
    if name == "level":
        return _by_size(_LEVEL_RANK[old.level], _LEVEL_RANK[new.level], "client")
    return None


# ------------------------------------------------------------------ calendars


def _calendars(old: dict[str, Calendar], new: dict[str, Calendar]) -> Iterator[Change]:
    for name in new:
        if name not in old:
            yield _change("calendars", name, None, None, _hours(new[name]), None)
    for name, calendar in old.items():
        if name not in new:
            yield _change("calendars", name, None, _hours(calendar), "removed", None)
        elif calendar != new[name]:
            yield from _calendar_fields(name, calendar, new[name])


def _hours(calendar: Calendar) -> str:
    return "; ".join(f"{day} {', '.join(hours)}" for day, hours in calendar.weekly.items())


def _calendar_fields(name: str, old: Calendar, new: Calendar) -> Iterator[Change]:
    if old.weekly != new.weekly:
        yield _change("calendars", name, "opening hours", _hours(old), _hours(new), None)
    old_h, new_h = old.holidays, new.holidays
    old_country = old_h.country if old_h else None
    new_country = new_h.country if new_h else None
    if old_country != new_country:
        yield _change("calendars", name, "public holidays of", old_country, new_country, None)
    old_closed = set(old_h.closed if old_h else ())
    new_closed = set(new_h.closed if new_h else ())
    for day in sorted(new_closed - old_closed):
        text = f"{name}: closed date {day} added"
        yield Change("calendars", name, "closed", None, str(day), None, text)
    for day in sorted(old_closed - new_closed):
        text = f"{name}: closed date {day} removed"
        yield Change("calendars", name, "closed", str(day), None, None, text)


# ------------------------------------------------------------------ money


def _block(section: str, old: object, new: object, added_favours: Side) -> Change | None:
    """A whole optional block added or removed."""
    removed_favours: Side = "client" if added_favours == "provider" else "provider"
    label = section.replace("_", " ")
    if old is None and new is not None:
        return Change(
            section,
            section,
            None,
            None,
            "added",
            added_favours,
            f"{label}: added ({_side_words(added_favours)})",
        )
    if old is not None and new is None:
        return Change(
            section,
            section,
            None,
            "present",
            None,
            removed_favours,
            f"{label}: removed ({_side_words(removed_favours)})",
        )
    return None


def _side_words(side: Side) -> str:
    return f"favours the {side}"


def _credits(old: Credits | None, new: Credits | None) -> Iterator[Change]:
    whole = _block("credits", old, new, "client")
    if whole is not None or old is None or new is None:
        yield from [whole] if whole else []
        return
    fields: list[tuple[str, Any, Any, Side | None]] = [
        ("monthly fee", old.monthly_fee, new.monthly_fee, "provider"),
        ("at risk", old.at_risk, new.at_risk, "client"),
        ("pool", old.pool, new.pool, "client"),
        (
            "earn-back months",
            old.earn_back.months if old.earn_back else None,
            new.earn_back.months if new.earn_back else None,
            "client",
        ),
    ]
    for name, before, after, bigger in fields:
        if before != after:
            yield _change(
                "credits",
                "credits",
                name,
                before,
                after,
                _by_size(before, after, bigger),
                wording=MONEY,
            )
    yield from _shares("credits", "allocation", old.allocation, new.allocation, "client")


def _shares(
    section: str, subject: str, old: dict[str, Percent], new: dict[str, Percent], bigger: Side
) -> Iterator[Change]:
    zero = Percent(Decimal(0))
    for key in sorted(set(old) | set(new), key=lambda k: (k not in old, k)):
        before, after = old.get(key), new.get(key)
        if before != after:
            side = _by_size(before or zero, after or zero, bigger)
            yield _change(section, key, subject, before, after, side, wording=MONEY)


def _incentives(old: Incentives | None, new: Incentives | None) -> Iterator[Change]:
    whole = _block("incentives", old, new, "provider")
    if whole is not None:
        present = new or old
        assert present is not None
        cap = f"cap {words(present.cap)} of the monthly fee"
        yield replace(whole, text=whole.text.replace(": added", f": added, {cap}", 1))
    empty = Incentives(cap=Percent(Decimal(0)))
    before, after = old or empty, new or empty
    if before.cap != after.cap and whole is None:
        side = _by_size(before.cap, after.cap, "provider")
        yield _change("incentives", "incentives", "cap", before.cap, after.cap, side, wording=MONEY)
    for key in [*before.earn, *(key for key in after.earn if key not in before.earn)]:
        yield from _earn(key, before.earn.get(key), after.earn.get(key))
    if before.offset_credits != after.offset_credits:
        side_: Side = "client" if after.offset_credits else "provider"
        yield _change(
            "incentives",
            "incentives",
            "offset against credits",
            before.offset_credits,
            after.offset_credits,
            side_,
            wording=MONEY,
        )


def _earn(key: str, old: IncentiveEarn | None, new: IncentiveEarn | None) -> Iterator[Change]:
    def bonus(earn: IncentiveEarn) -> str:
        return f"{words(earn.share)} of the cap when {words(earn.when)}"

    if old is None and new is not None:
        text = f"{key}: bonus added, {bonus(new)} (favours the provider)"
        yield Change("incentives", key, "bonus", None, bonus(new), "provider", text)
    elif old is not None and new is None:
        text = f"{key}: bonus removed, was {bonus(old)} (favours the client)"
        yield Change("incentives", key, "bonus", bonus(old), None, "client", text)
    elif old is not None and new is not None:
        if old.share != new.share:
            side = _by_size(old.share, new.share, "provider")
            yield _change(
                "incentives", key, "bonus share", old.share, new.share, side, wording=MONEY
            )
        if old.when != new.when:
            side = _target_favours(old.when, new.when)
            yield _change("incentives", key, "bonus when", old.when, new.when, side, wording=MONEY)


# ------------------------------------------------------------------ exclusions and rules


def _exclusions(old: Exclusions | None, new: Exclusions | None) -> Iterator[Change]:
    empty = Exclusions()
    before, after = old or empty, new or empty
    old_band = before.volume_band.over_forecast if before.volume_band else None
    new_band = after.volume_band.over_forecast if after.volume_band else None
    if old_band != new_band:
        # a lower band excludes more days; a band added excludes days that counted before
        side: Side | None = (
            "provider"
            if old_band is None
            else "client"
            if new_band is None
            else _by_size(old_band, new_band, "client")
        )
        yield _change(
            "exclusions",
            "volume band",
            "over forecast",
            old_band,
            new_band,
            side,
            wording=("favours the provider", "favours the client"),
        )
    old_events = {event.id: event for event in before.events}
    new_events = {event.id: event for event in after.events}
    for key, event in new_events.items():
        if key not in old_events:
            text = f"event {key} added: {_event(event)} (favours the provider)"
            yield Change("exclusions", key, "event", None, _event(event), "provider", text)
        elif old_events[key] != event:
            text = f"event {key}: {_event(old_events[key])} → {_event(event)}"
            yield Change(
                "exclusions", key, "event", _event(old_events[key]), _event(event), None, text
            )
    for key, event in old_events.items():
        if key not in new_events:
            text = f"event {key} removed: {_event(event)} (favours the client)"
            yield Change("exclusions", key, "event", _event(event), None, "client", text)


def _event(event: ExclusionEvent) -> str:
    channels = words(event.channels) if event.channels else "all channels"
    return f"{event.start.isoformat()} to {event.end.isoformat()}, {channels}: {event.reason}"


def _chronic(old: Contract, new: Contract) -> Iterator[Change]:
    before, after = old.chronic_failure, new.chronic_failure
    whole = _block("chronic_failure", before, after, "client")
    if whole is not None:
        yield whole
        return
    if before is None or after is None:
        return
    if before.breaches != after.breaches:
        yield _change(
            "chronic_failure",
            "chronic failure",
            "breaches",
            before.breaches,
            after.breaches,
            _by_size(before.breaches, after.breaches, "provider"),
            wording=MONEY,
        )
    if before.within_months != after.within_months:
        yield _change(
            "chronic_failure",
            "chronic failure",
            "within months",
            before.within_months,
            after.within_months,
            _by_size(before.within_months, after.within_months, "client"),
            wording=MONEY,
        )


def _improvement(
    old: ContinuousImprovement | None, new: ContinuousImprovement | None
) -> Iterator[Change]:
    whole = _block("continuous_improvement", old, new, "client")
    if whole is not None:
        text = whole.text
        if new is not None:
            text = text.replace(
                "added",
                f"added: targets move {new.move} to the achieved average after"
                f" {new.after_months} months above them",
            )
        yield Change(whole.section, whole.subject, None, whole.old, whole.new, whole.favours, text)
        return
    if old is None or new is None:
        return
    if old.after_months != new.after_months:
        yield _change(
            "continuous_improvement",
            "continuous improvement",
            "after months",
            old.after_months,
            new.after_months,
            _by_size(old.after_months, new.after_months, "provider"),
            wording=MONEY,
        )
    if old.objectives != new.objectives:
        yield _change(
            "continuous_improvement",
            "continuous improvement",
            "objectives",
            old.objectives or "all",
            new.objectives or "all",
            None,
        )


# ------------------------------------------------------------------ output


def changes_json(old: Contract, new: Contract, changes: tuple[Change, ...]) -> dict[str, Any]:
    """`contract diff --json`."""
    counts = {side: sum(1 for c in changes if c.favours == side) for side in ("provider", "client")}
    return {
        "old": {"id": old.id, "version": old.version},
        "new": {"id": new.id, "version": new.version},
        "changes": [
            {
                "section": c.section,
                "subject": c.subject,
                "field": c.field,
                "old": c.old,
                "new": c.new,
                "favours": c.favours,
                "text": c.text,
            }
            for c in changes
        ],
        "summary": {
            "changes": len(changes),
            "favour_provider": counts["provider"],
            "favour_client": counts["client"],
            "neutral": len(changes) - counts["provider"] - counts["client"],
        },
    }


SECTION_TITLES: dict[str, str] = {
    "contract": "Contract",
    "objectives": "Objectives",
    "calendars": "Calendars",
    "credits": "Credits",
    "incentives": "Incentives",
    "exclusions": "Exclusions",
    "chronic_failure": "Chronic failure",
    "continuous_improvement": "Continuous improvement",
}


def changes_text(old: Contract, new: Contract, changes: tuple[Change, ...]) -> list[str]:
    """The human listing: a heading per section, one line per change, a count at the end."""
    lines = [f"{old.id} version {old.version} → {new.id} version {new.version}"]
    if not changes:
        return [*lines, "no differences"]
    for section in SECTIONS:
        mine = [change for change in changes if change.section == section]
        if mine:
            lines.append(SECTION_TITLES[section])
            lines += [f"  {change.text}" for change in mine]
    summary = changes_json(old, new, changes)["summary"]
    lines.append(
        f"{summary['changes']} change(s): {summary['favour_provider']} favour the provider,"
        f" {summary['favour_client']} the client, {summary['neutral']} neither"
    )
    return lines
