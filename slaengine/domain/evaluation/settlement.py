"""When a month is settled: it has ended and every objective's deadline for its contacts passed.

The settlement instant of a contract's month is the month's end (local midnight of the next
month in the contract's zone) plus the longest time limit of its objectives, each run on the
objective's own clock:

- `clock: business` (with its `calendar`): that many seconds of the calendar's open time,
  counted from the month's end; nights, closed days, holidays and closed dates do not run,
  DST days last what they last (`BusinessCalendar.deadline`);
- any other limit (service-level thresholds, `short_abandon`, calendar-clock response
  times): that many real seconds after the month's end (`wall_deadline`).

Objectives without a time limit (answer rate without threshold, ASA, AHT, FCR, CSAT, NPS,
cost per contact) contribute nothing: their month is known at its end.

A contact arriving while a business calendar is closed just before the month's end has its
deadline exactly at the settlement instant (its clock starts at the same opening). A result
as of the settlement instant therefore counts a contact as due when its deadline is AT or
before that instant; `due_cutoff` gives the instant to hand to the strict tally rule
(`as_of > deadline`) for that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from slaengine.domain.contract.calendars import BusinessCalendar, wall_deadline
from slaengine.domain.contract.model import Calendar, Contract, Objective
from slaengine.domain.contract.periods import Period

_TICK = timedelta(microseconds=1)  # the resolution of stored instants


def time_limits(objective: Objective) -> tuple[int, ...]:
    """The objective's time limits in seconds (threshold, short abandon); empty when none."""
    found = (objective.threshold, objective.short_abandon)
    return tuple(limit.seconds for limit in found if limit is not None)


def objective_settles_at(contract: Contract, objective: Objective, month_end: datetime) -> datetime:
    """The instant every contact of the objective arriving before `month_end` has its outcome.

    Raises ValueError for an unknown calendar and EvaluationError for a business calendar
    that never opens (BusinessCalendar.deadline).
    """
    limits = time_limits(objective)
    if not limits:
        return month_end.astimezone(UTC)
    seconds = max(limits)
    if objective.effective_clock == "business" and objective.calendar:
        return _calendar(contract, objective.calendar).deadline(month_end, seconds)
    return wall_deadline(month_end, seconds)


def _calendar(contract: Contract, name: str) -> BusinessCalendar:
    """The contract's calendar, shared by every call with the same definition and zone
    (building one loads its public holidays; its open days are cached inside)."""
    spec = contract.calendars.get(name)
    if spec is None:
        return BusinessCalendar.from_contract(contract, name)  # raises, naming the known ones
    return _shared_calendar(spec.model_dump_json(), contract.timezone, name)


@lru_cache(maxsize=64)
def _shared_calendar(spec_json: str, zone: str, name: str) -> BusinessCalendar:
    return BusinessCalendar(Calendar.model_validate_json(spec_json), ZoneInfo(zone), name)


def settlement_instant(contract: Contract, period: str) -> datetime:
    """The instant (UTC) the contract's month `period` (YYYY-MM) is settled.

    The month's end plus the longest limit of its objectives on their own clocks (module
    docstring). Raises EvaluationError for a malformed period.
    """
    month_end = Period.of(period, contract).stop
    return max(
        [month_end, *(objective_settles_at(contract, o, month_end) for o in contract.objectives)]
    )


def is_settled(contract: Contract, period: str, at: datetime) -> bool:
    """True when `at` (aware) is at or after the month's settlement instant."""
    return at >= settlement_instant(contract, period)


def due_cutoff(settles_at: datetime) -> datetime:
    """The as_of to give the tally so that deadlines at `settles_at` count as passed."""
    return settles_at + _TICK
