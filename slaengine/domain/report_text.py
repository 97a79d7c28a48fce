"""How report figures read in words: objective definitions, values, money, periods, trends.

Pure text: the PDF and CSV adapters print these strings as they are (escaping them where
they enter markup). Fractions print as percentages with one decimal, seconds with one
decimal and ` s`, nps as points, money with two decimals, a thin grouping and the currency.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from slaengine.domain.contract import CHANNELS, Objective
from slaengine.domain.results import Status
from slaengine.domain.units import Duration

Unit = Literal["fraction", "seconds", "points", "money"]

KPI_UNITS: dict[str, Unit] = {
    "service_level": "fraction",
    "answer_rate": "fraction",
    "abandonment_rate": "fraction",
    "response_within": "fraction",
    "first_contact_resolution": "fraction",
    "csat": "fraction",
    "average_speed_of_answer": "seconds",
    "average_handle_time": "seconds",
    "nps": "points",
    "cost_per_contact": "money",
}
LOWER_IS_BETTER: frozenset[str] = frozenset(
    {"abandonment_rate", "average_speed_of_answer", "average_handle_time", "cost_per_contact"}
)
STATUS_SYMBOLS: dict[str, str] = {
    "met": "✔",
    "breached": "✖",
    "not_determined": "?",
    "excused": "–",
}
STATUS_LABELS: dict[str, str] = {
    "met": "met",
    "breached": "breached",
    "not_determined": "not determined",
    "excused": "excused",
}


def kpi_unit(kpi: str) -> Unit:
    """The unit a kpi's value is expressed in (unknown kpis read as fractions)."""
    return KPI_UNITS.get(kpi, "fraction")


def status_mark(status: Status | str) -> str:
    """`✔ met`, `✖ breached`, `? not determined`, `– excused`: readable without colour."""
    return f"{STATUS_SYMBOLS.get(status, '?')} {STATUS_LABELS.get(status, status)}"


def duration_words(duration: Duration | None) -> str:
    """`20 s`, `2 min`, `24 h` (a space before the unit, as in running text)."""
    if duration is None:
        return "?"
    text = str(duration)
    for unit in ("min", "h", "s"):
        if text.endswith(unit):
            return f"{text[: -len(unit)]} {unit}"
    return text


def channels_text(channels: tuple[str, ...]) -> str:
    """`phone`, `phone, chat, email`, or `all channels` when every channel is in scope."""
    if set(channels) >= set(CHANNELS):
        return "all channels"
    return ", ".join(channels)


def _denominator_words(objective: Objective) -> str:
    kind = objective.effective_denominator
    if kind == "offered_excluding_short_abandons":
        return f"offered minus abandons ≤ {duration_words(objective.short_abandon)}"
    if kind == "answered_and_late_abandons":
        return f"answered plus abandons after {duration_words(objective.threshold)}"
    return kind


def _csat_words(satisfied_from: int) -> str:
    scores = "score 5" if satisfied_from >= 5 else f"scores {satisfied_from}–5"
    return f"{scores} ÷ scores given"


def _response_words(objective: Objective) -> str:
    within = f"answered within {duration_words(objective.threshold)}"
    if objective.effective_clock == "business":
        return f"{within} on the business clock of '{objective.calendar}'"
    return f"{within}, calendar hours"


def _kpi_words(objective: Objective) -> str:
    kpi = objective.kpi
    if kpi == "service_level":
        threshold = duration_words(objective.threshold)
        return f"answered within {threshold} ÷ {_denominator_words(objective)}"
    if kpi == "answer_rate":
        return f"answered ÷ {_denominator_words(objective)}"
    if kpi == "abandonment_rate":
        abandons = (
            f"abandoned after {duration_words(objective.short_abandon)}"
            if objective.short_abandon is not None
            else "all abandons"
        )
        return f"{abandons} ÷ {_denominator_words(objective)}"
    if kpi == "response_within":
        return _response_words(objective)
    return (
        _FIXED_WORDS.get(kpi, kpi)
        if kpi != "csat"
        else _csat_words(objective.effective_satisfied_from)
    )


_FIXED_WORDS: dict[str, str] = {
    "average_speed_of_answer": "mean wait of answered contacts",
    "average_handle_time": "mean handle time of answered contacts",
    "first_contact_resolution": "resolved at first contact ÷ contacts where known",
    "nps": "100 × (promoters 9–10 − detractors 0–6) ÷ answers",
    "cost_per_contact": "cost of the month ÷ answered contacts",
}


def describe_objective(objective: Objective) -> str:
    """The objective's formula in words, with its calendar scope.

    `answered within 20 s ÷ offered minus abandons ≤ 5 s, opening hours 'opening-hours'`;
    `answered within 24 h on the business clock of 'office'`. For response_within the
    calendar only drives the clock, so no scope is added.
    """
    words = _kpi_words(objective)
    if objective.calendar and objective.kpi != "response_within":
        words += f", opening hours '{objective.calendar}'"
    return words


def window_words(objective: Objective) -> str:
    """`month`, or `day, 2 misses allowed` for day and week windows."""
    if objective.window == "month":
        return "month"
    misses = objective.allowed_misses or 0
    plural = "miss" if misses == 1 else "misses"
    return f"{objective.window}, {misses} {plural} allowed"


def format_value(value: float | None, kpi: str) -> str:
    """`81.2%`, `28.4 s`, `32.0`, `4.12` (money); `n/a` without a value."""
    if value is None:
        return "n/a"
    unit = kpi_unit(kpi)
    if unit == "fraction":
        return f"{_round(value * 100, '0.1')}%"
    if unit == "seconds":
        return f"{_round(value, '0.1')} s"
    if unit == "money":
        return _round(value, "0.01")
    return _round(value, "0.1")


def format_delta(delta: float, kpi: str) -> str:
    """`+1.2 pt` for fractions (percentage points), `-3.0 s`, `+2.0` for nps."""
    unit = kpi_unit(kpi)
    if unit == "fraction":
        text, suffix = _round(delta * 100, "0.1"), " pt"
    elif unit == "seconds":
        text, suffix = _round(delta, "0.1"), " s"
    elif unit == "money":
        text, suffix = _round(delta, "0.01"), ""
    else:
        text, suffix = _round(delta, "0.1"), ""
    sign = "" if text.startswith("-") else "+"
    return f"{sign}{text}{suffix}"


def format_count(number: int | Decimal | None) -> str:
    """Counts with thousands separators; summed seconds or money with up to 2 decimals."""
    if number is None:
        return "–"
    if isinstance(number, Decimal) and number != number.to_integral_value():
        return f"{number.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    return f"{int(number):,}"


def format_money(amount: Decimal | None, currency: str) -> str:
    """`12,000.00 EUR`; `–` when unknown."""
    if amount is None:
        return "–"
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{cents:,} {currency}"


def _round(value: float, step: str) -> str:
    rounded = Decimal(repr(value)).quantize(Decimal(step), rounding=ROUND_HALF_UP)
    return "0" + step[1:].replace("1", "0") if rounded == 0 else format(rounded, "f")


def period_days(period: str) -> tuple[date, date]:
    """First and last local day of `YYYY-MM`; ValueError for anything else."""
    try:
        year, month = (int(part) for part in period.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ValueError(f"expected a period YYYY-MM, found {period!r}") from None
    return first, first.replace(day=_calendar.monthrange(year, month)[1])


def shift_period(period: str, months: int) -> str:
    """`2026-01` shifted by -1 -> `2025-12`."""
    first, _ = period_days(period)
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def days_of(period: str) -> tuple[date, ...]:
    first, last = period_days(period)
    return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
