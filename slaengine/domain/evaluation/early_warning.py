"""Early warning (month to date) and the comparison with provider-reported figures.

An objective evaluated month to date is at risk when it fails so far: a day/week objective
with more breached windows than allowed, or a month objective whose figure misses its target;
the reason says what the expected remaining volume (same pace as so far) would have to do.
Provider figures differ when apart by more than rounding: half a unit of the last shown digit
(0.0005 for fractions, 0.5 s, 0.5 nps point).
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from slaengine.domain.contract.model import FRACTION_KPIS, Objective
from slaengine.domain.contract.periods import Period
from slaengine.domain.evaluation.results import ObjectiveResult

ROUNDING = {"fraction": Fraction(1, 2000), "seconds": Fraction(1, 2), "nps": Fraction(1, 2)}


def at_risk_reason(
    objective: Objective, result: ObjectiveResult, period: Period, as_of: datetime
) -> str | None:
    """Why an objective evaluated month to date is at risk, or None."""
    if objective.window != "month":
        if result.windows_breached > result.allowed_misses:
            return (
                f"{result.windows_breached} {objective.window} windows breached so far,"
                f" {result.allowed_misses} allowed"
            )
        return None
    if result.status != "breached" or objective.target is None:
        return None
    so_far = f"{_shown(result.value, objective.kpi)} so far against {objective.target}"
    if objective.kpi not in FRACTION_KPIS or not isinstance(result.denominator, int):
        return f"misses its target: {so_far}"
    return f"misses its target: {so_far}; {_recovery(objective, result, period, as_of)}"


def _recovery(
    objective: Objective, result: ObjectiveResult, period: Period, as_of: datetime
) -> str:
    """What the expected remaining volume (same daily pace) would have to achieve."""
    assert objective.target is not None
    numerator, denominator = int(result.numerator or 0), int(result.denominator or 0)
    elapsed = max((as_of - period.start).total_seconds(), 1.0)
    remaining = max((period.stop - as_of).total_seconds(), 0.0)
    expected = round(denominator * remaining / elapsed)
    target = Fraction(objective.target.value)
    if objective.target.higher_is_better:
        needed = target * (denominator + expected) - numerator
        if expected == 0 or needed > expected:
            return f"it cannot recover even if all ~{expected} remaining contacts succeed"
        return f"recovering needs {float(needed / expected):.1%} of ~{expected} remaining contacts"
    room = target * (denominator + expected) - numerator
    if room < 0 or expected == 0:
        return f"it cannot recover even if none of the ~{expected} remaining contacts fails"
    return (
        f"recovering allows at most {float(room / expected):.1%} of ~{expected} remaining contacts"
    )


def _shown(value: float | None, kpi: str) -> str:
    if value is None:
        return "no figure"
    if kpi in FRACTION_KPIS:
        return f"{value:.1%}"
    if kpi in ("average_speed_of_answer", "average_handle_time"):
        return f"{value:.1f}s"
    return f"{value:.2f}"


def provider_differs(kpi: str, ours: float | None, theirs: float | None) -> bool:
    """Our figure and the provider's differ by more than rounding (module docstring)."""
    if ours is None or theirs is None:
        return ours is not theirs
    unit = "fraction" if kpi in FRACTION_KPIS else "nps" if kpi == "nps" else "seconds"
    return abs(Fraction(ours) - Fraction(theirs)) > ROUNDING[unit]
