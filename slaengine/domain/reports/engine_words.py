"""The engine's own sentences, as the report language says them.

An evaluation stores its notes and each objective's reason in English (they are data: the
evaluation JSON and the audit's inputs hash read them unchanged). Reports translate them when
they print them, pattern by pattern; a sentence no pattern knows is printed as stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from slaengine.domain.reports.text import format_count, format_day
from slaengine.i18n import N_, _

Words = Callable[[re.Match[str]], str]


def _day(text: str) -> str:
    from datetime import date

    return format_day(date.fromisoformat(text))


_PATTERNS: tuple[tuple[re.Pattern[str], Words], ...] = (
    (
        re.compile(
            r"^contract (?P<id>\S+) version (?P<version>\d+)"
            r" \(in force from (?P<day>\d{4}-\d{2}-\d{2}), file sha256 (?P<hash>[0-9a-f]+)\)$"
        ),
        lambda m: _(
            "contract {contract} version {version} (in force from {day}, file sha256 {hash})"
        ).format(contract=m["id"], version=m["version"], day=_day(m["day"]), hash=m["hash"]),
    ),
    (
        re.compile(r"^volume (?P<volume>\d+) under min_volume (?P<minimum>\d+)$"),
        lambda m: _("{volume} contacts, under the minimum volume of {minimum}").format(
            volume=format_count(int(m["volume"])), minimum=format_count(int(m["minimum"]))
        ),
    ),
    (
        re.compile(r"^nothing due yet \((?P<pending>\d+) pending\)$"),
        lambda m: _("nothing due yet ({pending} pending)").format(
            pending=format_count(int(m["pending"]))
        ),
    ),
    (
        re.compile(r"^the intervals feed carries no (?P<kpi>\S+) \(it needs the contacts feed\)$"),
        lambda m: _("the intervals feed carries no {kpi} (it needs the contacts feed)").format(
            kpi=m["kpi"]
        ),
    ),
)

_FIXED = {
    text: text
    for text in (
        N_("no contacts in scope"),
        N_("the objective has no target"),
        N_("every window excused"),
        N_("no window could be determined"),
        N_("no costs for the month"),
        N_("no contacts or intervals stored for the period"),
        N_("the intervals feed does not count abandons after the threshold"),
    )
}


def engine_words(sentence: str | None) -> str | None:
    """`sentence` (a stored note or reason) in the report language."""
    if sentence is None:
        return None
    if sentence in _FIXED:
        return _(sentence)
    for pattern, words in _PATTERNS:
        found = pattern.match(sentence)
        if found:
            return words(found)
    return sentence
