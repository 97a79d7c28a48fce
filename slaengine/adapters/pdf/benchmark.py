"""How a benchmark looks: setups side by side, channel mix and volume beside every comparison."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

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
from slaengine.domain.evaluation.benchmark import BenchmarkResult
from slaengine.domain.reports import BenchmarkRow, BenchmarkTable, build_benchmark_table
from slaengine.domain.reports.text import (
    LOWER_IS_BETTER,
    format_period,
    kpi_name,
    kpi_unit,
    sourcing_label,
)
from slaengine.i18n import _

KPI_WIDTH = 48 * mm
RANK_WIDTH = 16 * mm


def benchmark_table(table: BenchmarkTable) -> Table:
    """KPIs down, setups across; the highlighted setup's column shaded and its rank shown."""
    ranked = table.highlight is not None
    setup_width = (CONTENT_WIDTH - KPI_WIDTH - (RANK_WIDTH if ranked else 0)) / max(
        len(table.setups), 1
    )
    heads = [setup_head(table, index) for index in range(len(table.setups))]
    rank_head = _("Rank")  # of the shaded column's setup (a name in the head would wrap)
    rows: list[list[object]] = [
        [*header_cells(_("KPI")), *heads, *(header_cells(rank_head) if ranked else [])],
        [
            markup(f"<b>{safe(_('contacts'))}</b>", "cell"),
            *[cell(c, "cell_right") for c in table.contacts],
            *([cell("")] if ranked else []),
        ],
        [
            markup(f"<b>{safe(_('channel mix'))}</b>", "cell"),
            *[cell(m, "cell") for m in table.channel_mix],
            *([cell("")] if ranked else []),
        ],
    ]
    for row in table.rows:
        rows.append(
            [
                markup(
                    f"<b>{safe(kpi_name(row.kpi))}</b> ({safe(row.kpi_id)})<br/>"
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


def setup_head(table: BenchmarkTable, index: int) -> Flowable:
    """`ACME Contact Services` over `(outsourced)`; the mixed setup says what it is once."""
    sourcing = sourcing_label(table.sourcings[index])
    if table.sourcings[index] == "mixed":
        return markup(safe(sourcing), "head_small")
    return markup(f"{safe(table.name_of(index))}<br/>({safe(sourcing)})", "head_small")


def _highlight_index(table: BenchmarkTable) -> int:
    return table.setups.index(table.highlight) if table.highlight in table.setups else 0


def axis_label(row: BenchmarkRow, rows: Sequence[BenchmarkRow]) -> str:
    """The KPI's name in the report language (with its id when two rows share the KPI),
    wrapped on short lines for a chart's category axis."""
    name = kpi_name(row.kpi)
    if sum(1 for other in rows if other.kpi == row.kpi) > 1:
        name = f"{name} ({row.kpi_id})"
    return "\n".join(textwrap.wrap(name, 18)) or row.kpi_id


def benchmark_charts(table: BenchmarkTable) -> list[Flowable]:
    """Cost per contact first, ratios where higher is better, then where lower is better,
    seconds KPIs, then the channel mix of each setup."""
    names = [table.name_of(index) for index in range(len(table.setups))]
    found: list[Flowable] = []
    for row in table.rows:
        if row.kpi == "cost_per_contact" and any(value is not None for value in row.raw):
            title = _("Cost per contact (money per answered contact)")
            found.append(setups_chart(title, names, [(kpi_name(row.kpi), row.raw)],
                                      CONTENT_WIDTH, 120))  # fmt: skip
    for lower, title in ((False, _("Ratios, higher is better (%)")),
                         (True, _("Ratios, lower is better (%)"))):  # fmt: skip
        ratios = [
            (axis_label(row, table.rows), [scaled(value, row.kpi) for value in row.raw])
            for row in table.rows
            if kpi_unit(row.kpi) == "fraction"
            and (row.kpi in LOWER_IS_BETTER) == lower
            and any(value is not None for value in row.raw)
        ]
        if ratios:
            found.append(setups_chart(title, names, ratios, CONTENT_WIDTH, 130 if lower else 165))
    for row in table.rows:
        if kpi_unit(row.kpi) == "seconds" and any(value is not None for value in row.raw):
            title = f"{kpi_name(row.kpi)} (s), " + _("lower is better")
            found.append(
                setups_chart(
                    title, names, [(axis_label(row, table.rows), row.raw)], CONTENT_WIDTH, 105
                )
            )
    if any(table.channel_counts):
        found.append(mix_chart(names, table.channel_counts, CONTENT_WIDTH))
    return [item for chart in found for item in (KeepTogether([chart, Spacer(1, 4 * mm)]),)]


def benchmark_story(table: BenchmarkTable) -> list[Flowable]:
    intro = _(
        "Every setup of activity {activity} in {period}, tallied with one definition set"
        " whatever each contract says (so a figure may differ from a contract's own: email"
        " response here counts 24 calendar hours, where a contract may use its business"
        " clock). All contacts (mixed) is every contact of the activity together, as"
        " customers experience them; cost per contact is the month's cost (in-house) or"
        " price (outsourced) over answered contacts."
    ).format(activity=f"<b>{safe(table.activity)}</b>", period=safe(format_period(table.period)))
    found: list[Flowable] = [
        text(_("Sourcing benchmark: {activity}").format(activity=table.activity), "title"),
        markup(intro, "subtitle"),
        benchmark_table(table),
        Spacer(1, 3 * mm),
        *benchmark_charts(table),
    ]
    if table.notes:
        found.append(markup(safe(_("Notes")), "h3"))
        found += [text(note, "small") for note in table.notes]
    return found


def render_benchmark(
    result: BenchmarkResult, path: Path, names: dict[str, str] | None = None
) -> Path:
    """Write the benchmark PDF of `result` to `path` and return it (`names`: contract id ->
    provider name, for the column heads)."""
    table = build_benchmark_table(result, names=names)
    frame = PageFrame(_("Sourcing benchmark"), result.activity, format_period(result.period))
    return build_pdf(path, benchmark_story(table), frame)
