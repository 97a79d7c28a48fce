"""What changed between two contract versions, in words a procurement manager reads (SPEC 6).

Each change is one line ("phone-sl: target ≥ 86 % → ≥ 85 % (easier for the provider)") with
the side it favours where that is clear:

- provider: a looser target, a longer threshold or short_abandon, a lower satisfied_from,
  more allowed misses, a higher min_volume (more months left undetermined), a lower level,
  an objective removed, a higher fee, less at risk, smaller allocations, a shorter
  earn-back, more or larger incentives, incentives paid rather than offset, more exclusions
  (a lower volume band, an event added or widened: longer, more channels or queues), a
  longer relief deadline or larger monthly relief allowance (or the `exclusions.relief`
  limits removed), a looser or removed chronic failure rule, continuous improvement removed
  or slower;
- client: the opposite of each (the relief limits added where there were none, too);
- neither (None): what moves scope without a clear winner (kpi, channels, denominator,
  calendar, clock, window, opening hours, holidays, dates, names, relief's calendar, an event
  re-scoped without one covering the other).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from slaengine.domain.contract.model import (
    Calendar,
    Contract,
    Objective,
)
from slaengine.domain.contract.units import Duration
from slaengine.domain.contract.wording import words
from slaengine.domain.procurement import diff_terms as terms
from slaengine.domain.procurement.changes import (
    Change,
    Side,
    change_line,
    side_by_size,
    target_side,
)

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
_LEVEL_RANK = {"key": 0, "critical": 1}


# ------------------------------------------------------------------ the whole contract


def diff_contracts(old: Contract, new: Contract) -> tuple[Change, ...]:
    """Every change from `old` to `new`, section by section (SECTIONS order)."""
    changes: list[Change] = []
    changes += _contract_fields(old, new)
    changes += _objectives(old, new)
    changes += _calendars(old.calendars, new.calendars)
    changes += terms.credits(old.credits, new.credits)
    changes += terms.incentives(old.incentives, new.incentives)
    changes += terms.exclusions(old.exclusions, new.exclusions)
    changes += terms.chronic(old, new)
    changes += terms.improvement(old.continuous_improvement, new.continuous_improvement)
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
            yield change_line("contract", name, None, before, after, None)


def _objectives(old: Contract, new: Contract) -> Iterator[Change]:
    before = {objective.id: objective for objective in old.objectives}
    after = {objective.id: objective for objective in new.objectives}
    for objective_id, objective in after.items():
        if objective_id not in before:
            text = f"{objective_id}: objective added ({_summary(objective)}) (new obligation)"
            yield Change(
                "objectives", objective_id, None, None, _summary(objective), "client", text,
                "objective_added", None, objective,
            )  # fmt: skip
    for objective_id, objective in before.items():
        if objective_id not in after:
            text = (
                f"{objective_id}: objective removed ({_summary(objective)}) (one obligation less)"
            )
            yield Change(
                "objectives", objective_id, None, _summary(objective), None, "provider", text,
                "objective_removed", objective, None,
            )  # fmt: skip
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
            yield change_line(
                "objectives", old.id, name, before, after, _objective_favours(name, old, new)
            )


def _objective_favours(name: str, old: Objective, new: Objective) -> Side | None:
    if name == "target":
        return target_side(old.target, new.target)
    if (
        name == "threshold"
        and old.kpi == new.kpi
        and old.kpi in ("service_level", "response_within")
    ):
        return side_by_size(old.threshold, new.threshold, "provider")
    if name == "allowed_misses":
        return side_by_size(old.allowed_misses or 0, new.allowed_misses or 0, "provider")
    if name == "min_volume":
        return side_by_size(old.min_volume or 0, new.min_volume or 0, "provider")
    if name == "level":
        return side_by_size(_LEVEL_RANK[old.level], _LEVEL_RANK[new.level], "client")
    if name == "short_abandon":  # longer: more abandons leave the figures
        return side_by_size(_seconds(old.short_abandon), _seconds(new.short_abandon), "provider")
    if name == "satisfied_from":  # higher: fewer scores count as satisfied
        return side_by_size(old.effective_satisfied_from, new.effective_satisfied_from, "client")
    return None


def _seconds(duration: Duration | None) -> int:
    return duration.seconds if duration else 0


# ------------------------------------------------------------------ calendars


def _calendars(old: dict[str, Calendar], new: dict[str, Calendar]) -> Iterator[Change]:
    for name in new:
        if name not in old:
            yield replace(
                change_line("calendars", name, None, None, _hours(new[name]), None),
                kind="calendar_added", after=new[name],
            )  # fmt: skip
    for name, calendar in old.items():
        if name not in new:
            yield replace(
                change_line("calendars", name, None, _hours(calendar), "removed", None),
                kind="calendar_removed", before=calendar, after=None,
            )  # fmt: skip
        elif calendar != new[name]:
            yield from _calendar_fields(name, calendar, new[name])


def _hours(calendar: Calendar) -> str:
    return "; ".join(f"{day} {', '.join(hours)}" for day, hours in calendar.weekly.items())


def _calendar_fields(name: str, old: Calendar, new: Calendar) -> Iterator[Change]:
    if old.weekly != new.weekly:
        yield replace(
            change_line("calendars", name, "opening hours", _hours(old), _hours(new), None),
            before=old, after=new,
        )  # fmt: skip
    old_h, new_h = old.holidays, new.holidays
    old_country = old_h.country if old_h else None
    new_country = new_h.country if new_h else None
    if old_country != new_country:
        yield change_line("calendars", name, "public holidays of", old_country, new_country, None)
    old_closed = set(old_h.closed if old_h else ())
    new_closed = set(new_h.closed if new_h else ())
    for day in sorted(new_closed - old_closed):
        text = f"{name}: closed date {day} added"
        yield Change("calendars", name, "closed", None, str(day), None, text, "closed_added",
                     None, day)  # fmt: skip
    for day in sorted(old_closed - new_closed):
        text = f"{name}: closed date {day} removed"
        yield Change("calendars", name, "closed", str(day), None, None, text, "closed_removed",
                     day, None)  # fmt: skip


# ------------------------------------------------------------------ output


def changes_json(old: Contract, new: Contract, changes: tuple[Change, ...]) -> dict[str, Any]:
    """`contract diff --json`: language-free (English `text`); the words a reader reads are
    `slaengine.domain.reports.diff_words`."""
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
