"""The terms part of a contract diff: credits, incentives, exclusions, chronic failure and
continuous improvement (sides favoured: see `slaengine.domain.procurement.diff`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from slaengine.domain.contract.model import (
    CHANNELS,
    ContinuousImprovement,
    Contract,
    Credits,
    ExclusionEvent,
    Exclusions,
    IncentiveEarn,
    Incentives,
    ReliefRules,
    RequestDelay,
)
from slaengine.domain.contract.units import Percent
from slaengine.domain.contract.wording import words
from slaengine.domain.procurement.changes import (
    MONEY,
    Change,
    Hours,
    Side,
    change_line,
    side_by_size,
    target_side,
)

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
            "block_added",
            None,
            new,
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
            "block_removed",
            old,
            None,
        )
    return None


def _side_words(side: Side) -> str:
    return f"favours the {side}"


def credits(old: Credits | None, new: Credits | None) -> Iterator[Change]:
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
            yield change_line(
                "credits",
                "credits",
                name,
                before,
                after,
                side_by_size(before, after, bigger),
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
            side = side_by_size(before or zero, after or zero, bigger)
            yield change_line(section, key, subject, before, after, side, wording=MONEY)


def incentives(old: Incentives | None, new: Incentives | None) -> Iterator[Change]:
    whole = _block("incentives", old, new, "provider")
    if whole is not None:
        present = new or old
        assert present is not None
        cap = f"cap {words(present.cap)} of the monthly fee"
        yield replace(whole, text=whole.text.replace(": added", f": added, {cap}", 1))
    empty = Incentives(cap=Percent(Decimal(0)))
    before, after = old or empty, new or empty
    if before.cap != after.cap and whole is None:
        side = side_by_size(before.cap, after.cap, "provider")
        yield change_line(
            "incentives", "incentives", "cap", before.cap, after.cap, side, wording=MONEY
        )
    for key in [*before.earn, *(key for key in after.earn if key not in before.earn)]:
        yield from _earn(key, before.earn.get(key), after.earn.get(key))
    if before.offset_credits != after.offset_credits:
        side_: Side = "client" if after.offset_credits else "provider"
        yield change_line(
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
        yield Change("incentives", key, "bonus", None, bonus(new), "provider", text,
                     "bonus_added", None, new)  # fmt: skip
    elif old is not None and new is None:
        text = f"{key}: bonus removed, was {bonus(old)} (favours the client)"
        yield Change("incentives", key, "bonus", bonus(old), None, "client", text,
                     "bonus_removed", old, None)  # fmt: skip
    elif old is not None and new is not None:
        if old.share != new.share:
            side = side_by_size(old.share, new.share, "provider")
            yield change_line(
                "incentives", key, "bonus share", old.share, new.share, side, wording=MONEY
            )
        if old.when != new.when:
            side = target_side(old.when, new.when)
            yield change_line(
                "incentives", key, "bonus when", old.when, new.when, side, wording=MONEY
            )


# ------------------------------------------------------------------ exclusions and rules


def exclusions(old: Exclusions | None, new: Exclusions | None) -> Iterator[Change]:
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
            else side_by_size(old_band, new_band, "client")
        )
        yield change_line(
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
            yield Change("exclusions", key, "event", None, _event(event), "provider", text,
                         "event_added", None, event)  # fmt: skip
        elif old_events[key] != event:
            yield _event_change(key, old_events[key], event)
    for key, event in old_events.items():
        if key not in new_events:
            text = f"event {key} removed: {_event(event)} (favours the client)"
            yield Change("exclusions", key, "event", _event(event), None, "client", text,
                         "event_removed", event, None)  # fmt: skip
    yield from relief(before.relief, after.relief)


def _event(event: ExclusionEvent) -> str:
    channels = words(event.channels) if event.channels else "all channels"
    if event.queues:
        channels += f", queues {words(event.queues)}"
    return f"{event.start.isoformat()} to {event.end.isoformat()}, {channels}: {event.reason}"


def _event_change(key: str, old: ExclusionEvent, new: ExclusionEvent) -> Change:
    side = _wider(new, old)
    text = f"event {key}: {_event(old)} → {_event(new)}"
    if side is not None:
        text += f" ({_side_words(side)})"
    return Change("exclusions", key, "event", _event(old), _event(new), side, text,
                  "event_changed", old, new)  # fmt: skip


def _wider(new: ExclusionEvent, old: ExclusionEvent) -> Side | None:
    """provider when `new` excludes every contact `old` did and more (a longer interval, more
    channels or queues), client when the reverse; None when neither holds both ways."""
    if _covers(new, old) and not _covers(old, new):
        return "provider"
    if _covers(old, new) and not _covers(new, old):
        return "client"
    return None


def _covers(wide: ExclusionEvent, narrow: ExclusionEvent) -> bool:
    """Every contact `narrow` excludes, `wide` excludes too (no channels or queues: all)."""
    channels_in = set(narrow.channels or CHANNELS) <= set(wide.channels or CHANNELS)
    queues_in = wide.queues is None or (
        narrow.queues is not None and set(narrow.queues) <= set(wide.queues)
    )
    inside = wide.start <= narrow.start and narrow.end <= wide.end
    return inside and channels_in and queues_in


# ------------------------------------------------------------------ relief rules

NO_DEADLINE, NO_LIMIT = "no deadline", "no limit"


def relief(old: ReliefRules | None, new: ReliefRules | None) -> Iterator[Change]:
    """`exclusions.relief`: the block added (limits where there were none: the client) or
    removed (the provider), else its terms one by one (a longer deadline or a larger monthly
    allowance favours the provider)."""
    side: Side | None
    if old is None and new is not None:
        side = "client" if _limits(new) else None
        text = f"relief: limits added, {relief_terms(new)}"
        yield Change("exclusions", "relief", None, None, relief_terms(new), side,
                     _sided(text, side), "relief_added", None, new)  # fmt: skip
    elif old is not None and new is None:
        side = "provider" if _limits(old) else None
        text = f"relief: limits removed, they were {relief_terms(old)}"
        yield Change("exclusions", "relief", None, relief_terms(old), None, side,
                     _sided(text, side), "relief_removed", old, None)  # fmt: skip
    elif old is not None and new is not None:
        yield from _relief_terms(old, new)


def _relief_terms(old: ReliefRules, new: ReliefRules) -> Iterator[Change]:
    fields: list[tuple[str, Any, Any, Side | None]] = [
        ("request within", old.delay or NO_DEADLINE, new.delay or NO_DEADLINE,
         _delay_side(old.delay, new.delay)),
        ("deadline calendar", old.calendar, new.calendar, None),
        ("max hours per month", _hours(old), _hours(new),
         _limit_side(old.max_hours_per_month, new.max_hours_per_month)),
    ]  # fmt: skip
    for name, before, after, side in fields:
        if before != after:
            yield change_line("exclusions", "relief", name, before, after, side, wording=MONEY)


def _limits(rules: ReliefRules) -> bool:
    return rules.request_within is not None or rules.max_hours_per_month is not None


def _hours(rules: ReliefRules) -> Hours | str:
    hours = rules.max_hours_per_month
    return NO_LIMIT if hours is None else Hours(hours)


def _sided(text: str, side: Side | None) -> str:
    return text if side is None else f"{text} ({_side_words(side)})"


def relief_terms(rules: ReliefRules) -> str:
    """`requests within 5 business days on calendar office, at most 16 h of approved relief
    a month` (language-free words of `--json`)."""
    parts = []
    if rules.delay is not None:
        on = f" on calendar {rules.calendar}" if rules.calendar else ""
        parts.append(f"requests within {rules.delay}{on}")
    if rules.max_hours_per_month is not None:
        parts.append(f"at most {Hours(rules.max_hours_per_month)} of approved relief a month")
    return ", ".join(parts) or "no deadline and no monthly limit"


def _limit_side(old: Decimal | None, new: Decimal | None) -> Side | None:
    """A larger allowance favours the provider; a limit added, the client."""
    if old == new:
        return None
    if old is None or new is None:
        return "client" if old is None else "provider"
    return side_by_size(old, new, "provider")


def _delay_side(old: RequestDelay | None, new: RequestDelay | None) -> Side | None:
    """A longer deadline favours the provider; a deadline added, the client. A business day
    is never shorter than a calendar day, so `5 days` → `5 business days` is longer."""
    if old == new:
        return None
    if old is None or new is None:
        return "client" if old is None else "provider"
    if old.business == new.business:
        return side_by_size(old.days, new.days, "provider")
    if new.business and new.days >= old.days:
        return "provider"
    if old.business and new.days <= old.days:
        return "client"
    return None


def chronic(old: Contract, new: Contract) -> Iterator[Change]:
    before, after = old.chronic_failure, new.chronic_failure
    whole = _block("chronic_failure", before, after, "client")
    if whole is not None:
        yield whole
        return
    if before is None or after is None:
        return
    if before.breaches != after.breaches:
        yield change_line(
            "chronic_failure",
            "chronic failure",
            "breaches",
            before.breaches,
            after.breaches,
            side_by_size(before.breaches, after.breaches, "provider"),
            wording=MONEY,
        )
    if before.within_months != after.within_months:
        yield change_line(
            "chronic_failure",
            "chronic failure",
            "within months",
            before.within_months,
            after.within_months,
            side_by_size(before.within_months, after.within_months, "client"),
            wording=MONEY,
        )


def improvement(
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
        yield replace(whole, text=text)
        return
    if old is None or new is None:
        return
    if old.after_months != new.after_months:
        yield change_line(
            "continuous_improvement",
            "continuous improvement",
            "after months",
            old.after_months,
            new.after_months,
            side_by_size(old.after_months, new.after_months, "provider"),
            wording=MONEY,
        )
    if old.objectives != new.objectives:
        yield change_line(
            "continuous_improvement",
            "continuous improvement",
            "objectives",
            old.objectives or "all",
            new.objectives or "all",
            None,
        )
