"""What a benchmark table says: setups side by side on one definition set, channel mix beside.

Used alone (the benchmark report) and inside a scorecard (the provider's position among the
other setups of its activity: rank 1 is best, the mixed setup is shown but never ranked).
"""

from __future__ import annotations

from dataclasses import dataclass

from slaengine.domain.evaluation.benchmark import (
    MIXED,
    BenchmarkResult,
    SetupResult,
    default_benchmark,
)
from slaengine.domain.reports.text import (
    LOWER_IS_BETTER,
    channel_label,
    channels_text,
    describe_objective,
    format_count,
    format_money,
    format_value,
    sourcing_label,
)
from slaengine.i18n import _, current


@dataclass(frozen=True)
class BenchmarkRow:
    """One KPI across setups: formatted values (setup order), and the highlighted setup's rank."""

    kpi_id: str
    kpi: str
    definition: str
    values: tuple[str, ...]
    rank: str
    raw: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class BenchmarkTable:
    activity: str
    period: str
    setups: tuple[str, ...]
    sourcings: tuple[str, ...]
    contacts: tuple[str, ...]
    channel_mix: tuple[str, ...]
    channel_counts: tuple[dict[str, int], ...]
    rows: tuple[BenchmarkRow, ...]
    highlight: str | None
    own_cost: str | None
    notes: tuple[str, ...]
    names: tuple[str, ...] = ()

    def name_of(self, index: int) -> str:
        """The setup's display name: the provider's name when known, else the contract id;
        the mixed setup says what it is."""
        if self.sourcings[index] == MIXED:
            return sourcing_label(MIXED)
        return self.names[index] if index < len(self.names) else self.setups[index]


def _kpi_of(result: BenchmarkResult, kpi_id: str) -> tuple[str, str]:
    objectives = result.objectives or default_benchmark(result.activity).objectives
    for objective in objectives:
        if objective.id == kpi_id:
            scope = channels_text(objective.channels)
            return objective.kpi, f"{describe_objective(objective)} ({scope})"
    if kpi_id == "cost_per_contact":
        return "cost_per_contact", _("cost of the month ÷ answered contacts")
    return kpi_id, kpi_id


def _rank(result: BenchmarkResult, kpi_id: str, kpi: str, highlight: str | None) -> str:
    ranked = [s for s in result.setups if s.sourcing != MIXED and _value(s, kpi_id) is not None]
    own = next((s for s in ranked if s.name == highlight), None)
    if own is None:
        return "–"
    own_value = _value(own, kpi_id)
    assert own_value is not None
    lower = kpi in LOWER_IS_BETTER
    better = [s for s in ranked if _beats(_value(s, kpi_id), own_value, lower)]
    return _("{rank} of {count}").format(rank=len(better) + 1, count=len(ranked))


def _beats(value: float | None, own: float, lower: bool) -> bool:
    if value is None:
        return False
    return value < own if lower else value > own


def _value(setup: SetupResult, kpi_id: str) -> float | None:
    if kpi_id == "cost_per_contact":
        return float(setup.cost_per_contact) if setup.cost_per_contact is not None else None
    figure = setup.kpis.get(kpi_id)
    return figure.value if figure else None


def _kpi_ids(result: BenchmarkResult) -> list[str]:
    ids: list[str] = []
    for setup in result.setups:
        ids.extend(key for key in setup.kpis if key not in ids)
    return [*ids, "cost_per_contact"] if "cost_per_contact" not in ids else ids


def _mix_text(setup: SetupResult) -> str:
    total = sum(setup.channel_mix.values())
    if not total:
        return "–"
    parts = sorted(setup.channel_mix.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(
        f"{channel_label(channel)} {current().percent(count / total, 0)}"
        for channel, count in parts
        if count
    )


def _row(result: BenchmarkResult, kpi_id: str, highlight: str | None) -> BenchmarkRow:
    kpi, definition = _kpi_of(result, kpi_id)
    raw = tuple(_value(setup, kpi_id) for setup in result.setups)
    values = tuple(
        _with_currency(format_value(value, kpi), setup, kpi)
        for value, setup in zip(raw, result.setups, strict=True)
    )
    rank = _rank(result, kpi_id, kpi, highlight)
    return BenchmarkRow(kpi_id, kpi, definition, values, rank, raw)


def _with_currency(text: str, setup: SetupResult, kpi: str) -> str:
    if kpi != "cost_per_contact" or setup.cost_per_contact is None or not setup.currency:
        return text
    return format_money(setup.cost_per_contact, setup.currency)


def build_benchmark_table(
    result: BenchmarkResult,
    highlight: str | None = None,
    names: dict[str, str] | None = None,
) -> BenchmarkTable:
    """The benchmark as a table; `highlight` names the setup (contract id) to rank; `names`
    gives setups (contract ids) their providers' names."""
    own = next((s for s in result.setups if s.name == highlight), None)
    own_cost = None
    if own is not None and own.cost_per_contact is not None:
        own_cost = (
            format_money(own.cost_per_contact, own.currency)
            if own.currency
            else current().decimal(own.cost_per_contact, 2)
        )
    return BenchmarkTable(
        activity=result.activity,
        period=result.period,
        setups=tuple(s.name for s in result.setups),
        sourcings=tuple(s.sourcing for s in result.setups),
        contacts=tuple(format_count(s.contacts) for s in result.setups),
        channel_mix=tuple(_mix_text(s) for s in result.setups),
        channel_counts=tuple(dict(s.channel_mix) for s in result.setups),
        rows=tuple(_row(result, kpi_id, highlight) for kpi_id in _kpi_ids(result)),
        highlight=highlight if own is not None else None,
        own_cost=own_cost,
        notes=result.notes,
        names=tuple((names or {}).get(s.name, s.name) for s in result.setups),
    )
