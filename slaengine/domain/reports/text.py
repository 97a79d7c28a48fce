"""How report figures read in words: objective definitions, values, money, periods, trends.

Pure text: the PDF and CSV adapters print these strings as they are (escaping them where
they enter markup). Words come from the active report locale's catalogue and numbers from
its Babel formats (`slaengine.i18n`): fractions as percentages with one decimal (`85,6 %`),
seconds with one decimal and ` s`, nps as points, money with the currency (`12 000,00 €`).
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from slaengine.domain.contract.model import CHANNELS, Objective
from slaengine.domain.contract.units import Duration
from slaengine.domain.evaluation.results import Status
from slaengine.i18n import N_, _, current, ngettext

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
    "met": N_("met"),
    "breached": N_("breached"),
    "not_determined": N_("not determined"),
    "excused": N_("excused"),
}
CHANNEL_LABELS: dict[str, str] = {
    "phone": N_("phone"),
    "chat": N_("chat"),
    "email": N_("email"),
    "sms": N_("sms"),
    "social": N_("social"),
}
SOURCING_LABELS: dict[str, str] = {
    "in-house": N_("in-house"),
    "outsourced": N_("outsourced"),
    "mixed": N_("all contacts (mixed)"),
}
LEVEL_LABELS: dict[str, str] = {
    "critical": N_("critical"),
    "key": N_("key"),
    "info": N_("info"),
}


def status_label(status: str) -> str:
    """`met`, `breached`... in the report language."""
    return _(STATUS_LABELS.get(status, status))


def channel_label(channel: str) -> str:
    return _(CHANNEL_LABELS.get(channel, channel))


def sourcing_label(sourcing: str) -> str:
    return _(SOURCING_LABELS.get(sourcing, sourcing))


def level_label(level: str) -> str:
    return _(LEVEL_LABELS.get(level, level))


def kpi_unit(kpi: str) -> Unit:
    """The unit a kpi's value is expressed in (unknown kpis read as fractions)."""
    return KPI_UNITS.get(kpi, "fraction")


def status_mark(status: Status | str) -> str:
    """`✔ met`, `✖ breached`, `? not determined`, `– excused`: readable without colour."""
    return f"{STATUS_SYMBOLS.get(status, '?')} {status_label(status)}"


def duration_words(duration: Duration | None) -> str:
    """`20 s`, `2 min`, `24 h` (a space before the unit, as in running text)."""
    if duration is None:
        return "?"
    text = str(duration)
    for unit in ("min", "h", "s"):
        if text.endswith(unit):
            return f"{text[: -len(unit)]}\u00a0{unit}"  # never split from its number
    return text


def channels_text(channels: tuple[str, ...]) -> str:
    """`phone`, `phone, chat, email`, or `all channels` when every channel is in scope."""
    if set(channels) >= set(CHANNELS):
        return _("all channels")
    return ", ".join(channel_label(channel) for channel in channels)


def _denominator_words(objective: Objective) -> str:
    kind = objective.effective_denominator
    if kind == "offered_excluding_short_abandons":
        return _("offered minus abandons ≤ {duration}").format(
            duration=duration_words(objective.short_abandon)
        )
    if kind == "answered_and_late_abandons":
        return _("answered plus abandons after {duration}").format(
            duration=duration_words(objective.threshold)
        )
    return _(_DENOMINATOR_WORDS.get(kind, kind))


_DENOMINATOR_WORDS: dict[str, str] = {"offered": N_("offered"), "answered": N_("answered")}


def _csat_words(satisfied_from: int) -> str:
    if satisfied_from >= 5:
        return _("score 5 ÷ scores given")
    return _("scores {low}–5 ÷ scores given").format(low=satisfied_from)


def _response_words(objective: Objective) -> str:
    within = duration_words(objective.threshold)
    if objective.effective_clock == "business":
        return _("answered within {duration} on the business clock of '{calendar}'").format(
            duration=within, calendar=objective.calendar
        )
    return _("answered within {duration}, calendar hours").format(duration=within)


def _kpi_words(objective: Objective) -> str:
    kpi = objective.kpi
    if kpi == "service_level":
        threshold = duration_words(objective.threshold)
        return _("answered within {duration} ÷ {denominator}").format(
            duration=threshold, denominator=_denominator_words(objective)
        )
    if kpi == "answer_rate":
        return _("answered ÷ {denominator}").format(denominator=_denominator_words(objective))
    if kpi == "abandonment_rate":
        abandons = (
            _("abandoned after {duration}").format(duration=duration_words(objective.short_abandon))
            if objective.short_abandon is not None
            else _("all abandons")
        )
        return f"{abandons} ÷ {_denominator_words(objective)}"
    if kpi == "response_within":
        return _response_words(objective)
    if kpi == "csat":
        return _csat_words(objective.effective_satisfied_from)
    return _(_FIXED_WORDS.get(kpi, kpi))


_FIXED_WORDS: dict[str, str] = {
    "average_speed_of_answer": N_("mean wait of answered contacts"),
    "average_handle_time": N_("mean handle time of answered contacts"),
    "first_contact_resolution": N_("resolved at first contact ÷ contacts where known"),
    "nps": N_("100 × (promoters 9–10 − detractors 0–6) ÷ answers"),
    "cost_per_contact": N_("cost of the month ÷ answered contacts"),
}
KPI_NAMES: dict[str, str] = {
    "service_level": N_("service level"),
    "answer_rate": N_("answer rate"),
    "abandonment_rate": N_("abandonment rate"),
    "response_within": N_("response within"),
    "first_contact_resolution": N_("first contact resolution"),
    "csat": N_("customer satisfaction"),
    "average_speed_of_answer": N_("average speed of answer"),
    "average_handle_time": N_("average handle time"),
    "nps": N_("net promoter score"),
    "cost_per_contact": N_("cost per contact"),
}


def kpi_name(kpi: str) -> str:
    """`service level`, `niveau de service`: the kpi's name in the report language."""
    return _(KPI_NAMES.get(kpi, kpi.replace("_", " ")))


def describe_objective(objective: Objective) -> str:
    """The objective's formula in words, with its calendar scope.

    `answered within 20 s ÷ offered minus abandons ≤ 5 s, opening hours 'opening-hours'`;
    `answered within 24 h on the business clock of 'office'`. For response_within the
    calendar only drives the clock, so no scope is added.
    """
    words = _kpi_words(objective)
    if objective.calendar and objective.kpi != "response_within":
        words += _(", opening hours '{calendar}'").format(calendar=objective.calendar)
    return words


WINDOW_NAMES: dict[str, str] = {"month": N_("month"), "week": N_("week"), "day": N_("day")}


def window_words(objective: Objective) -> str:
    """`month`, or `day, 2 misses allowed` for day and week windows."""
    name = _(WINDOW_NAMES.get(objective.window, objective.window))
    if objective.window == "month":
        return name
    misses = objective.allowed_misses or 0
    allowed = ngettext("{count} miss allowed", "{count} misses allowed", misses)
    return f"{name}, {allowed.format(count=misses)}"


def format_value(value: float | None, kpi: str) -> str:
    """`81.2%`, `28.4 s`, `32.0`, `4.12` (money) in en_GB; `n/a` without a value."""
    if value is None:
        return _("n/a")
    unit = kpi_unit(kpi)
    here = current()
    if unit == "fraction":
        return here.percent(value)
    if unit == "seconds":
        return f"{here.decimal(value, 1)}\u00a0s"
    if unit == "money":
        return here.decimal(value, 2)
    return here.decimal(value, 1)


def format_target(target: str | None, value: float | None, kpi: str) -> str:
    """`≥ 80,0 %` from the contract's `>= 80%` and its value; the text itself when unparsed."""
    text = (target or "").strip()
    operator = next((op for op in (">=", "<=", ">", "<", "=") if text.startswith(op)), None)
    if operator is None or value is None:
        return text or "–"
    symbol = {">=": "≥", "<=": "≤"}.get(operator, operator)
    shown = format_value(value, kpi)
    unit = kpi_unit(kpi)
    if unit == "fraction" and Decimal(repr(value * 100)) % 1 == 0:
        shown = current().percent(value, 0)
    elif unit == "fraction" and (Decimal(repr(value)) * 1000) % 1 != 0:
        shown = current().percent(value, 2)  # a target moved to 89.25 % is not 89.3 %
    elif unit != "money" and Decimal(repr(value)) % 1 == 0:
        shown = current().decimal(value, 0) + ("\u00a0s" if unit == "seconds" else "")
    return f"{symbol}\u00a0{shown}"


def format_delta(delta: float, kpi: str) -> str:
    """`+1.2 pt` for fractions (percentage points), `-3.0 s`, `+2.0 pts` for nps."""
    unit = kpi_unit(kpi)
    here = current()
    if unit == "fraction":
        text, suffix = here.decimal(abs(delta) * 100, 1), "\u00a0" + _("pt")
    elif unit == "seconds":
        text, suffix = here.decimal(abs(delta), 1), "\u00a0s"
    elif unit == "money":
        text, suffix = here.decimal(abs(delta), 2), ""
    else:
        text, suffix = here.decimal(abs(delta), 1), "\u00a0" + _("pts")
    zero = text.strip("0,.\u202f\u00a0 ") == ""
    sign = "+" if delta >= 0 or zero else "-"
    return f"{sign}{text}{suffix}"


def format_count(number: int | Decimal | None) -> str:
    """Counts with the locale's grouping; summed seconds or money with 2 decimals."""
    if number is None:
        return "–"
    return current().count(number)


def format_money(amount: Decimal | None, currency: str) -> str:
    """`12 000,00 €` / `€12,000.00`; `–` when unknown."""
    if amount is None:
        return "–"
    return current().money(amount, currency)


def format_period(period: str, short: bool = False) -> str:
    """`octobre 2026` / `October 2026` (`oct. 2026` when short) from `2026-10`."""
    return current().month(period, short)


def format_day(day: date) -> str:
    """`2 nov. 2026` / `2 Nov 2026`."""
    return current().date(day)


def period_days(period: str) -> tuple[date, date]:
    """First and last local day of `YYYY-MM`; ValueError for anything else."""
    try:
        year, month = (int(part) for part in period.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ValueError(f"expected a period YYYY-MM, found {period!r}") from None
    return first, first.replace(day=_calendar.monthrange(year, month)[1])


def days_of(period: str) -> tuple[date, ...]:
    first, last = period_days(period)
    return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
