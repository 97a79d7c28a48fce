"""Rules that relate several fields of a specification, each reported at the offending node.

Field-level rules live on the pydantic types; these need the whole contract: an allocation
that names a missing objective, opening hours that overlap, a target unit that does not fit
its kpi, and so on. Each problem carries the path of the node to blame, so that the YAML
adapter can print its line and column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from slaengine.domain.contract.incentive_rules import improvement_problems, incentive_problems
from slaengine.domain.contract.model import (
    DAY_NAMES,
    FRACTION_KPIS,
    REAL_TIME_CHANNELS,
    SECONDS_KPIS,
    BenchmarkSpec,
    Calendar,
    Contract,
    Credits,
    Effective,
    Exclusions,
    Objective,
    parse_day_key,
    parse_interval,
    parse_request_within,
)
from slaengine.domain.contract.problems import (
    ContractParts,
    PathParts,
    Problem,
    did_you_mean,
    percent_text,
)

THRESHOLD_KPIS = frozenset({"service_level", "response_within"})
DENOMINATOR_KPIS = frozenset({"service_level", "answer_rate", "abandonment_rate"})
SHORT_ABANDON_KPIS = DENOMINATOR_KPIS
REAL_TIME_KPIS = DENOMINATOR_KPIS
DEFERRED_KPIS = frozenset({"response_within"})


def parts_of(spec: Contract | BenchmarkSpec) -> ContractParts:
    """Every part of a valid contract or benchmark specification."""
    contract = spec if isinstance(spec, Contract) else None
    return ContractParts(
        objectives=tuple(enumerate(spec.objectives)),
        objective_ids=tuple(objective.id for objective in spec.objectives),
        calendars=spec.calendars,
        calendar_names=tuple(spec.calendars),
        effective=contract.effective if contract else None,
        credits=contract.credits if contract else None,
        exclusions=contract.exclusions if contract else None,
        targets_required=contract is not None,
        incentives=contract.incentives if contract else None,
        continuous_improvement=contract.continuous_improvement if contract else None,
    )


def find_problems(contract: Contract) -> list[Problem]:
    """Every cross-field problem of a contract, in document order of the checks."""
    return find_part_problems(parts_of(contract))


def find_benchmark_problems(spec: BenchmarkSpec) -> list[Problem]:
    """Cross-field problems of a benchmark definition set (targets optional)."""
    return find_part_problems(parts_of(spec))


def find_part_problems(parts: ContractParts) -> list[Problem]:
    """The cross-field problems of whatever parts are valid."""
    problems: list[Problem] = []
    problems += _effective(parts.effective)
    problems += _calendars(parts.calendars)
    problems += _objectives(parts)
    problems += _credits(parts.credits, parts.objective_ids)
    problems += _exclusions(parts.exclusions)
    problems += _relief(parts)
    problems += incentive_problems(parts)
    problems += improvement_problems(parts)
    return problems


def _effective(effective: Effective | None) -> list[Problem]:
    if effective is not None and effective.end is not None and effective.end < effective.start:
        return [
            Problem(
                ("effective", "to"),
                f"effective.to {effective.end} is before effective.from {effective.start}",
            )
        ]
    return []


def _calendars(calendars: dict[str, Calendar]) -> list[Problem]:
    problems: list[Problem] = []
    for name, calendar in calendars.items():
        problems += _overlaps(name, calendar)
        if calendar.holidays and calendar.holidays.country:
            from slaengine.domain.contract.calendars import holidays_problem

            message = holidays_problem(calendar.holidays)
            if message:
                problems.append(Problem(("calendars", name, "holidays", "country"), message))
    return problems


def _overlaps(name: str, calendar: Calendar) -> list[Problem]:
    """Two intervals of one weekday that overlap, whichever keys they came from."""
    seen: dict[int, list[tuple[int, int, str, int]]] = {day: [] for day in range(7)}
    problems: list[Problem] = []
    for key, intervals in calendar.weekly.items():
        for index, text in enumerate(intervals):
            start, end = parse_interval(text)
            for day in parse_day_key(key):
                for other_start, other_end, other_key, other_index in seen[day]:
                    if start < other_end and other_start < end:
                        other = calendar.weekly[other_key][other_index]
                        problems.append(
                            Problem(
                                ("calendars", name, "weekly", key, index),
                                f"interval {text} overlaps {other} ({other_key})"
                                f" on {DAY_NAMES[day]}: opening intervals of a day must not"
                                " overlap",
                            )
                        )
                seen[day].append((start, end, key, index))
    return _first_per_path(problems)


def _first_per_path(problems: list[Problem]) -> list[Problem]:
    unique: dict[PathParts, Problem] = {}
    for problem in problems:
        unique.setdefault(problem.path, problem)
    return list(unique.values())


def _objectives(parts: ContractParts) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, objective in parts.objectives:
        at = ("objectives", index)
        if objective.id in seen:
            problems.append(Problem((*at, "id"), f"objective id {objective.id!r} is used twice"))
        seen.add(objective.id)
        problems += [
            Problem((*at, *where), message)
            for where, message in _objective_rules(
                objective, parts.calendar_names, parts.targets_required
            )
        ]
    return problems


def _objective_rules(
    objective: Objective, calendars: Sequence[str], targets_required: bool
) -> Iterator[tuple[tuple[str, ...], str]]:
    kpi = objective.kpi
    yield from _parameter_fit(objective)
    if objective.calendar is not None and objective.calendar not in calendars:
        hint = did_you_mean(objective.calendar, list(calendars))
        known = ", ".join(calendars) or "none"
        yield (
            ("calendar",),
            (
                f"calendar {objective.calendar!r} is not defined under calendars{hint}"
                f" (defined: {known})"
            ),
        )
    if kpi == "response_within" and objective.clock == "business" and not objective.calendar:
        yield ("clock",), "clock: business needs a calendar whose open time runs the clock"
    if objective.allowed_misses is not None and objective.window == "month":
        yield (
            ("allowed_misses",),
            (
                "allowed_misses applies to day or week windows; with window: month"
                " the month itself is met or breached"
            ),
        )
    if objective.channel is None and kpi in REAL_TIME_KPIS | DEFERRED_KPIS:
        kind = "real-time channels (phone, chat)" if kpi in REAL_TIME_KPIS else "deferred channels"
        yield ("kpi",), f"{kpi} needs a channel: name the {kind} it measures"
    channels = set(objective.channels) if objective.channel is not None else None
    if channels is not None and kpi in REAL_TIME_KPIS and not channels <= REAL_TIME_CHANNELS:
        wrong = ", ".join(sorted(channels - REAL_TIME_CHANNELS))
        yield (
            ("channel",),
            (
                f"{kpi} measures real-time channels (phone, chat); {wrong} is deferred:"
                " use kpi response_within"
            ),
        )
    if channels is not None and kpi in DEFERRED_KPIS and channels & REAL_TIME_CHANNELS:
        wrong = ", ".join(sorted(channels & REAL_TIME_CHANNELS))
        yield (
            ("channel",),
            (
                f"response_within measures deferred channels (email, sms, social, mail);"
                f" {wrong} is real-time: use kpi service_level"
            ),
        )
    if objective.target is None and targets_required:
        yield ("id",), f'objective {objective.id!r} has no target (e.g. target: ">= 80%")'
    if objective.target is not None:
        yield from _target_fit(objective)


def _parameter_fit(objective: Objective) -> Iterator[tuple[tuple[str, ...], str]]:
    kpi = objective.kpi
    if kpi in THRESHOLD_KPIS and objective.threshold is None:
        yield ("kpi",), f"{kpi} needs a threshold (e.g. threshold: 20s)"
    late_abandons = objective.denominator == "answered_and_late_abandons"
    if objective.threshold is not None and not (
        kpi in THRESHOLD_KPIS or (late_abandons and kpi in DENOMINATOR_KPIS)
    ):
        yield (
            ("threshold",),
            f"threshold does not apply to {kpi} (only to service_level, response_within,"
            " or with denominator answered_and_late_abandons)",
        )
    if objective.denominator is not None and kpi not in DENOMINATOR_KPIS:
        yield ("denominator",), f"denominator does not apply to {kpi}"
    if objective.short_abandon is not None and kpi not in SHORT_ABANDON_KPIS:
        yield ("short_abandon",), f"short_abandon does not apply to {kpi}"
    if (
        objective.denominator == "offered_excluding_short_abandons"
        and objective.short_abandon is None
    ):
        yield (
            ("denominator",),
            ("denominator offered_excluding_short_abandons needs short_abandon (e.g. 5s)"),
        )
    if objective.denominator == "answered_and_late_abandons" and objective.threshold is None:
        yield ("denominator",), "denominator answered_and_late_abandons needs a threshold"
    if objective.clock is not None and kpi != "response_within":
        yield ("clock",), f"clock applies to response_within only, not to {kpi}"
    if objective.satisfied_from is not None and kpi != "csat":
        yield ("satisfied_from",), f"satisfied_from applies to csat only, not to {kpi}"


def _target_fit(objective: Objective) -> Iterator[tuple[tuple[str, ...], str]]:
    target, kpi = objective.target, objective.kpi
    assert target is not None
    if kpi in FRACTION_KPIS:
        if target.unit != "fraction":
            yield ("target",), f'{kpi} is a percentage: write the target as e.g. ">= 80%"'
        elif not Decimal(0) <= target.value <= Decimal(1):
            yield ("target",), f"a {kpi} target must lie between 0% and 100%, found {target}"
    elif kpi in SECONDS_KPIS and target.unit != "seconds":
        yield ("target",), f'{kpi} is a duration: write the target in seconds, e.g. "<= 30s"'
    elif kpi == "nps":
        if target.unit != "number":
            yield ("target",), 'nps is a score from -100 to 100: write e.g. ">= 30"'
        elif not Decimal(-100) <= target.value <= Decimal(100):
            yield ("target",), f"an nps target must lie between -100 and 100, found {target}"
    elif kpi == "cost_per_contact" and target.unit != "number":
        yield ("target",), 'cost_per_contact is money: write the target as e.g. "<= 4.50"'


def _credits(credits: Credits | None, ids: Sequence[str]) -> list[Problem]:
    if credits is None:
        return []
    problems: list[Problem] = []
    for objective_id in credits.allocation:
        if objective_id not in ids:
            hint = did_you_mean(objective_id, ids)
            problems.append(
                Problem(
                    ("credits", "allocation", objective_id),
                    f"allocation names objective {objective_id!r}, which the contract does"
                    f" not define{hint}",
                    at_key=True,
                )
            )
    if credits.at_risk.fraction > 1:
        problems.append(
            Problem(
                ("credits", "at_risk"),
                f"at_risk is a share of the fee: at most 100%, found {credits.at_risk}",
            )
        )
    total = sum((share.fraction for share in credits.allocation.values()), Decimal(0))
    if credits.pool is not None and total > credits.pool.fraction:
        problems.append(
            Problem(
                ("credits", "allocation"),
                f"allocations add up to {percent_text(total)},"
                f" more than the pool of {credits.pool}",
                at_key=True,
            )
        )
    return problems


def _exclusions(exclusions: Exclusions | None) -> list[Problem]:
    if exclusions is None:
        return []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, event in enumerate(exclusions.events):
        at = ("exclusions", "events", index)
        if event.end <= event.start:
            problems.append(
                Problem(
                    (*at, "to"),
                    f"event {event.id!r} must end after it starts:"
                    f" to {event.end.isoformat()} is not after from {event.start.isoformat()}",
                )
            )
        if event.id in seen:
            problems.append(Problem((*at, "id"), f"event id {event.id!r} is used twice"))
        seen.add(event.id)
    return problems


def _relief(parts: ContractParts) -> list[Problem]:
    """`exclusions.relief`: a business-day delay needs a calendar, and it must exist."""
    relief = parts.exclusions.relief if parts.exclusions else None
    if relief is None:
        return []
    at = ("exclusions", "relief")
    if relief.calendar is not None and relief.calendar not in parts.calendar_names:
        known = ", ".join(parts.calendar_names) or "none"
        hint = did_you_mean(relief.calendar, list(parts.calendar_names))
        return [
            Problem(
                (*at, "calendar"),
                f"calendar {relief.calendar!r} is not defined under calendars{hint}"
                f" (defined: {known})",
            )
        ]
    business = relief.request_within is not None and parse_request_within(relief.request_within)[1]
    if business and relief.calendar is None:
        return [
            Problem(
                (*at, "request_within"),
                f"request_within {relief.request_within!r} counts business days: name the"
                " calendar whose open days they are (exclusions.relief.calendar)",
            )
        ]
    return []


def find_version_conflicts(contracts: Sequence[tuple[str, Contract]]) -> list[tuple[str, Problem]]:
    """Same id+version twice, or two versions of one id whose effective ranges overlap.

    `contracts` pairs a label (the file) with its contract; each problem is reported against
    the later file, at its `version` or `effective` key.
    """
    problems: list[tuple[str, Problem]] = []
    for later_index, (label, contract) in enumerate(contracts):
        for earlier_label, earlier in contracts[:later_index]:
            if earlier.id != contract.id:
                continue
            if earlier.version == contract.version:
                problems.append(
                    (
                        label,
                        Problem(
                            ("version",),
                            f"contract {contract.id} version {contract.version} is also defined"
                            f" in {earlier_label}: give each version its own number",
                            at_key=True,
                            files=(earlier_label,),
                        ),
                    )
                )
            elif ranges_overlap(earlier, contract):
                problems.append(
                    (
                        label,
                        Problem(
                            ("effective",),
                            f"effective dates of {contract.id} version {contract.version}"
                            f" overlap version {earlier.version} ({earlier_label}): end one"
                            " version before the next begins",
                            at_key=True,
                            files=(earlier_label,),
                        ),
                    )
                )
    return problems


def ranges_overlap(first: Contract, second: Contract) -> bool:
    """Whether two versions' effective ranges (inclusive, open-ended when `to` is absent) meet."""
    a, b = first.effective, second.effective
    a_end_before_b = a.end is not None and a.end < b.start
    b_end_before_a = b.end is not None and b.end < a.start
    return not (a_end_before_b or b_end_before_a)
