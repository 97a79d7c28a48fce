"""What the rules of a specification report (Problem) and the parts they look at (ContractParts)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from slaengine.domain.contract.model import (
    Calendar,
    ContinuousImprovement,
    Credits,
    Effective,
    Exclusions,
    Incentives,
    Objective,
)

PathParts = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """A rule broken at `path` (keys and list indexes from the document root)."""

    path: PathParts
    message: str
    at_key: bool = False
    files: tuple[str, ...] = ()  # file names in `message`: shown whole, however long


@dataclass(frozen=True)
class ContractParts:
    """The parts of a specification that the rules look at.

    From a valid contract, every part; from a file with type errors, the parts that are
    valid on their own (objectives keep their index in the file), so that the rules still
    report their problems together with the type errors. `calendar_names` and
    `objective_ids` list every name written, valid or not, so that a reference to an
    invalid calendar is not reported as undefined.
    """

    objectives: tuple[tuple[int, Objective], ...]
    objective_ids: tuple[str, ...]
    calendars: dict[str, Calendar]
    calendar_names: tuple[str, ...]
    effective: Effective | None = None
    credits: Credits | None = None
    exclusions: Exclusions | None = None
    targets_required: bool = True
    incentives: Incentives | None = None
    continuous_improvement: ContinuousImprovement | None = None


def percent_text(fraction: Decimal) -> str:
    return f"{format((fraction * 100).normalize(), 'f')}%"


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """"; did you mean 'x'?" for the closest option, or nothing."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
