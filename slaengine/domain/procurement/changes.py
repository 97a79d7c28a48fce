"""One change between two contract versions (Change), its line of text and the side it favours."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from slaengine.domain.contract.incentive_rules import at_least_as_strict
from slaengine.domain.contract.units import Target
from slaengine.domain.contract.wording import words

Side = Literal["provider", "client"]


@dataclass(frozen=True)
class Change:
    """One difference: `subject` (an objective id, a calendar name...) and `field` changed.

    `old`, `new` and `text` are the language-free words of `--json` (English, the source);
    `kind`, `before` and `after` (the values themselves: a Target, a Decimal, an Objective...)
    let a report say the change in its reader's language (domain/reports/diff_words.py).
    """

    section: str
    subject: str
    field: str | None
    old: str | None
    new: str | None
    favours: Side | None
    text: str
    kind: str = "change"
    before: Any = None
    after: Any = None


def change_line(
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
    return Change(section, subject, field, shown_old, shown_new, favours, text, "change", old, new)


MONEY = ("favours the provider", "favours the client")


@dataclass(frozen=True, order=True)
class Hours:
    """A number of hours (relief's monthly allowance), not money: `16 h`, `7.5 h`."""

    hours: Decimal

    def __str__(self) -> str:
        return f"{format(self.hours.normalize(), 'f')} h"


def side_by_size(old: Any, new: Any, bigger_favours: Side | None) -> Side | None:
    """The side a larger value favours, when both values exist and differ."""
    if old is None or new is None or old == new or bigger_favours is None:
        return None
    other: Side = "client" if bigger_favours == "provider" else "provider"
    return bigger_favours if new > old else other


def target_side(old: Target | None, new: Target | None) -> Side | None:
    if old is None or new is None or old.unit != new.unit:
        return None
    if old.higher_is_better != new.higher_is_better:
        return None
    if at_least_as_strict(new, old) and not at_least_as_strict(old, new):
        return "client"
    if at_least_as_strict(old, new) and not at_least_as_strict(new, old):
        return "provider"
    return None
