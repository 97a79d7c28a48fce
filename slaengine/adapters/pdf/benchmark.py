"""How a benchmark looks: setups side by side, channel mix and volume beside every comparison."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from slaengine.adapters.pdf.charts import mix_chart, scaled, setups_chart
from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.style import (
    CONTENT_WIDTH,
    STATUS_FILL,
    cell,
    grid,
    header_cells,
    markup,
    safe,
    text,
)
from slaengine.domain.benchmark import BenchmarkResult
from slaengine.domain.report_text import kpi_unit
from slaengine.domain.reports import BenchmarkTable, build_benchmark_table

KPI_WIDTH = 48 * mm
RANK_WIDTH = 16 * mm


def benchmark_table(table: BenchmarkTable) -> Table:
    """KPIs down, setups across; the highlighted setup's column shaded and its rank shown."""
    ranked = table.highlight is not None
    setup_width = (CONTENT_WIDTH - KPI_WIDTH - (RANK_WIDTH if ranked else 0)) / max(
        len(table.setups), 1
    )
    heads = [
        markup(f"{safe(name)}<br/>({safe(sourcing)})", "head_small")
        for name, sourcing in zip(table.setups, table.sourcings, strict=True)
    ]
    rows: list[list[object]] = [
        [*header_cells("KPI"), *heads, *(header_cells("Rank") if ranked else [])],
        [
            markup("<b>contacts</b>", "cell"),
            *[cell(c, "cell_right") for c in table.contacts],
            *([cell("")] if ranked else []),
        ],
        [
            markup("<b>channel mix</b>", "cell"),
            *[cell(m, "cell") for m in table.channel_mix],
            *([cell("")] if ranked else []),
        ],
    ]
    for row in table.rows:
        rows.append(
            [
                markup(
                    f"<b>{safe(row.kpi_id)}</b><br/>"
                    f'<font size="6.5" color="#52606d">{safe(row.definition)}</font>',
                    "cell",
                ),
                *[cell(value, "cell_right") for value in row.values],
                *([cell(row.rank, "cell_right")] if ranked else []),
            ]
        )
    extra: list[tuple[object, ...]] = []
    if ranked:
        column = 1 + table.setups.index(table.highlight or "")
        extra.append(("BACKGROUND", (column, 1), (column, -1), STATUS_FILL["excused"]))
    widths = [KPI_WIDTH, *[setup_width] * len(table.setups), *([RANK_WIDTH] if ranked else [])]
    return grid(rows, widths, zebra=not ranked, extra=extra)


def benchmark_charts(table: BenchmarkTable) -> list[Flowable]:
    """Percent KPIs together, second KPIs together, then the channel mix of each setup."""
    found: list[Flowable] = []
    ratios = [
        (row.kpi_id, [scaled(value, row.kpi) for value in row.raw])
        for row in table.rows
        if kpi_unit(row.kpi) == "fraction" and any(value is not None for value in row.raw)
    ]
    if ratios:
        found.append(setups_chart("Ratios (%)", table.setups, ratios, CONTENT_WIDTH))
    for row in table.rows:
        if kpi_unit(row.kpi) == "seconds" and any(value is not None for value in row.raw):
            title = f"{row.kpi_id} (s)"
            found.append(
                setups_chart(title, table.setups, [(row.kpi_id, row.raw)], CONTENT_WIDTH, 120)
            )
    if any(table.channel_counts):
        found.append(mix_chart(table.setups, table.channel_counts, CONTENT_WIDTH))
    return [item for chart in found for item in (chart, Spacer(1, 4 * mm))]


def benchmark_story(table: BenchmarkTable) -> list[Flowable]:
    intro = (
        f"Every setup of activity <b>{safe(table.activity)}</b> in {safe(table.period)},"
        " tallied with one definition set whatever each contract says. <i>mixed</i> is"
        " all contacts of the activity together, as customers experience them; cost per"
        " contact is the month's cost (in-house) or price (outsourced) over answered"
        " contacts."
    )
    found: list[Flowable] = [
        text(f"Sourcing benchmark: {table.activity}", "title"),
        markup(intro, "subtitle"),
        benchmark_table(table),
        Spacer(1, 3 * mm),
        *benchmark_charts(table),
    ]
    if table.notes:
        found.append(markup("Notes", "h3"))
        found += [text(note, "small") for note in table.notes]
    return found


def render_benchmark(result: BenchmarkResult, path: Path) -> Path:
    """Write the benchmark PDF of `result` to `path` and return it."""
    table = build_benchmark_table(result)
    frame = PageFrame("Sourcing benchmark", result.activity, result.period)
    return build_pdf(path, benchmark_story(table), frame)
