"""Sourcing benchmarks (SPEC section 3): every setup of one activity on one definition set.

The default definition set is written here in the contract syntax (objectives without
targets), so a `contracts/benchmark.yaml` that replaces it reads exactly like it. Results are
counts first: a setup's ratio is its numerator over its denominator, and the mixed setup's
counts are the sums of the contacts of every setup, never an average of their ratios.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from slaengine.domain.contract.model import SECONDS_KPIS, BenchmarkSpec, Objective

SetupSourcing = Literal["in-house", "outsourced", "mixed"]
MIXED = "mixed"
CENT = Decimal("0.01")

DEFAULT_OBJECTIVES: tuple[dict[str, Any], ...] = (
    {"id": "phone-sl", "channel": "phone", "kpi": "service_level", "threshold": "20s",
     "denominator": "offered_excluding_short_abandons", "short_abandon": "5s"},
    {"id": "chat-sl", "channel": "chat", "kpi": "service_level", "threshold": "20s",
     "denominator": "offered_excluding_short_abandons", "short_abandon": "5s"},
    {"id": "abandonment", "channel": ["phone", "chat"], "kpi": "abandonment_rate",
     "denominator": "offered_excluding_short_abandons", "short_abandon": "5s"},
    {"id": "asa", "channel": ["phone", "chat"], "kpi": "average_speed_of_answer"},
    {"id": "aht", "channel": ["phone", "chat"], "kpi": "average_handle_time"},
    {"id": "email-24h", "channel": "email", "kpi": "response_within", "threshold": "24h",
     "clock": "calendar"},
    {"id": "fcr", "kpi": "first_contact_resolution"},
    {"id": "csat", "kpi": "csat", "satisfied_from": 4},
    {"id": "nps", "kpi": "nps"},
)  # fmt: skip


def default_benchmark(activity: str, timezone: str | None = None) -> BenchmarkSpec:
    """SPEC section 3's default set: SL 20 s over offered minus 5 s short abandons, and the rest.

    No calendar: every contact counts, whatever each contract's opening hours say.
    `timezone` None means: the zone of the first contract of the activity.
    """
    return BenchmarkSpec.model_validate(
        {
            "apiVersion": "slaengine/v1",
            "kind": "Benchmark",
            "activity": activity,
            "timezone": timezone,
            "objectives": list(DEFAULT_OBJECTIVES),
        }
    )


@dataclass(frozen=True)
class KpiFigure:
    """One KPI of one setup: value (fraction 0..1, seconds or nps points) and its counts."""

    value: float | None
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    kpi: str = ""


@dataclass(frozen=True)
class SetupResult:
    """One setup (a contract, or `mixed`): its volume, channel mix, KPIs and unit cost."""

    name: str
    sourcing: SetupSourcing
    contracts: tuple[str, ...]
    contacts: int
    channel_mix: dict[str, int]
    kpis: dict[str, KpiFigure]
    cost_per_contact: Decimal | None
    answered: int = 0
    cost: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class BenchmarkResult:
    """Every setup of `activity` over `period` (YYYY-MM), as of an instant."""

    activity: str
    period: str
    setups: tuple[SetupResult, ...]
    as_of: datetime | None = None
    objectives: tuple[Objective, ...] = field(default=())
    notes: tuple[str, ...] = ()


def cost_per_contact(cost: Decimal | None, answered: int) -> Decimal | None:
    """cost ÷ answered contacts, half-up to cents; None without costs or without answers."""
    if cost is None or answered <= 0:
        return None
    return (cost / answered).quantize(CENT, rounding=ROUND_HALF_UP)


def cost_figure(cost: Decimal | None, answered: int) -> KpiFigure:
    """Cost per contact as a KPI figure: numerator the month's cost, denominator the answered."""
    per_contact = cost_per_contact(cost, answered)
    value = float(per_contact) if per_contact is not None else None
    return KpiFigure(value, cost, answered if cost is not None else None, "cost_per_contact")


def benchmark_to_json(result: BenchmarkResult) -> dict[str, Any]:
    """SPEC section 3's JSON shape (plus `channel_mix`, `answered`, `currency` per setup)."""
    return {
        "activity": result.activity,
        "period": result.period,
        "setups": [_setup_json(setup) for setup in result.setups],
    }


def _setup_json(setup: SetupResult) -> dict[str, Any]:
    return {
        "name": setup.name,
        "sourcing": setup.sourcing,
        "contracts": list(setup.contracts),
        "contacts": setup.contacts,
        "kpis": {key: _figure_json(figure) for key, figure in setup.kpis.items()},
        "cost_per_contact": _money(setup.cost_per_contact),
        "channel_mix": dict(setup.channel_mix),
        "answered": setup.answered,
        "currency": setup.currency,
    }


def _figure_json(figure: KpiFigure) -> dict[str, Any]:
    return {
        "value": _value(figure),
        "numerator": _number(figure, figure.numerator),
        "denominator": _number(figure, figure.denominator),
    }


def _value(figure: KpiFigure) -> float | str | None:
    """As `evaluate --json`: fractions and nps to 4 decimals, seconds to 2, money in cents."""
    if figure.value is None:
        return None
    if figure.kpi == "cost_per_contact":
        return _money(Decimal(str(figure.value)))
    if figure.kpi in SECONDS_KPIS:
        return round(figure.value, 2)
    return round(figure.value, 4)


def _number(figure: KpiFigure, number: int | Decimal | None) -> int | float | str | None:
    """Counts stay integers; summed seconds become numbers, money a decimal string."""
    if isinstance(number, Decimal):
        return _money(number) if figure.kpi == "cost_per_contact" else float(number)
    return number


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount.quantize(CENT, rounding=ROUND_HALF_UP), "f")
