"""`slaengine benchmark ACTIVITY --period YYYY-MM`: in-house vs outsourced vs mixed setups."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import click

from slaengine.cli.context import AppContext
from slaengine.cli.options import as_of_option, period_option
from slaengine.cli.safe_text import safe, visible

if TYPE_CHECKING:
    from rich.table import Table

    from slaengine.domain.evaluation.benchmark import BenchmarkResult, KpiFigure


NARROW = 110  # columns below which the setups' widths are fixed


@click.command()
@click.argument("activity")
@period_option()
@as_of_option()
@click.option("--json", "as_json", is_flag=True, help="Print SPEC section 3's JSON.")
@click.pass_obj
def benchmark(app: AppContext, activity: str, period: str, as_of: datetime, as_json: bool) -> None:
    """Compare the in-house, outsourced and mixed setups of ACTIVITY on one definition set.

    Every setup is measured on the same definitions whatever each contract says (the
    default set, or contracts/benchmark.yaml for that activity); cost per contact is the
    month's costs feed divided by answered contacts; the channel mix is shown beside.
    """
    from rich.console import Console

    from slaengine.domain.evaluation.benchmark import benchmark_to_json
    from slaengine.services.benchmark import load_benchmark_spec, run_benchmark

    spec = load_benchmark_spec(app.settings.contracts_dir, activity)
    result = run_benchmark(app.engine, activity, period, as_of=as_of, benchmark_spec=spec)
    if as_json:
        click.echo(json.dumps(benchmark_to_json(result), indent=2))
        return
    console = Console()
    console.print(benchmark_table(result, narrow=console.width < NARROW))
    for note in result.notes:
        Console(stderr=True).print(f"note: {visible(note)}", markup=False, highlight=False)


def benchmark_table(result: BenchmarkResult, narrow: bool = False) -> Table:
    """Setups as columns; volume and channel mix first, then every KPI, then unit cost."""
    from rich.table import Table

    table = Table(title=safe(f"Benchmark {result.activity} {result.period}"), title_justify="left")
    table.add_column("", max_width=16)
    for setup in result.setups:
        # in a narrow terminal each setup gets exactly the room of its name (never cut) or of
        # its longest figure word; elsewhere rich lays the columns out freely
        fixed = max(len(setup.name), 11) if narrow else None
        table.add_column(safe(setup.name), justify="right", width=fixed)
    table.add_row("sourcing", *(safe(setup.sourcing) for setup in result.setups), end_section=True)
    table.add_row("contacts", *(f"{setup.contacts:,}" for setup in result.setups))
    channels = sorted({c for setup in result.setups for c in setup.channel_mix})
    for channel in channels:
        table.add_row(
            f"  {safe(channel)}",
            *(_mix(setup.channel_mix, setup.contacts, channel) for setup in result.setups),
        )
    kinds = {objective.id: objective.kpi for objective in result.objectives}
    for kpi_id in _kpi_ids(result):
        cells = (_figure(setup.kpis.get(kpi_id), kinds.get(kpi_id, "")) for setup in result.setups)
        table.add_row(safe(kpi_id), *cells, end_section=False)
    table.add_row(
        "cost per contact",
        *(safe(_money(setup.cost_per_contact, setup.currency)) for setup in result.setups),
    )
    return table


def _kpi_ids(result: BenchmarkResult) -> list[str]:
    ids: list[str] = []
    for setup in result.setups:
        ids.extend(key for key in setup.kpis if key not in ids)
    return ids


def _mix(mix: dict[str, int], total: int, channel: str) -> str:
    count = mix.get(channel, 0)
    if not count:
        return "-"
    return f"{100 * count / total:.0f}%"


def _figure(figure: KpiFigure | None, kpi: str) -> str:
    from slaengine.domain.contract.model import FRACTION_KPIS, SECONDS_KPIS

    if figure is None or figure.value is None:
        return "n/a"
    if kpi in FRACTION_KPIS:
        return f"{100 * figure.value:.1f}%  ({figure.numerator}/{figure.denominator})"
    if kpi in SECONDS_KPIS:
        return f"{figure.value:.1f} s  (n={figure.denominator})"
    if kpi == "nps":
        return f"{figure.value:+.1f}  (n={figure.denominator})"
    return f"{figure.value:.2f}"


def _money(amount: object, currency: str | None) -> str:
    if amount is None:
        return "n/a"
    return f"{amount} {currency or ''}".strip()
