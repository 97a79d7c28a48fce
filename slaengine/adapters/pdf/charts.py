"""Charts (reportlab.graphics): 12-month trend with target, daily values with misses, volumes.

Fractions are drawn as percentages. Every chart also reads in black and white: the target is
a dashed line, a missed day carries an `x` above its bar as well as its red colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from slaengine.adapters.pdf.style import ACCENT, INK, MUTED, RULE, STATUS_INK, fonts, printable
from slaengine.domain.reports import DailySeries, TrendSeries
from slaengine.domain.reports.text import channel_label, format_period, kpi_unit
from slaengine.i18n import _, current, ngettext

AXIS_FONT = 6.5
DAY_MARKS = {"breached": "x", "excused": "e", "not_determined": "?"}


def scaled(value: float | None, kpi: str) -> float | None:
    """Fractions as percentages; other units unchanged."""
    if value is None:
        return None
    return value * 100 if kpi_unit(kpi) == "fraction" else value


def axis_range(values: Sequence[float | None]) -> tuple[float, float, float]:
    """A padded, round (min, max, step) that holds every value; (0, 1, 1) when empty."""
    present = [v for v in values if v is not None]
    if not present:
        return 0.0, 1.0, 1.0
    low, high = min(present), max(present)
    span = max(high - low, abs(high) * 0.1, 1.0)
    step = 10 ** math.floor(math.log10(span / 4))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 5:
            step *= factor
            break
    low_edge = math.floor((low - span * 0.1) / step) * step
    if low >= 0:
        low_edge = max(0.0, low_edge)
    high_edge = math.ceil((high + span * 0.1) / step) * step
    return low_edge, high_edge, step


def _title(drawing: Drawing, text: str, y: float) -> None:
    drawing.add(String(0, y, printable(text), fontName=fonts().bold, fontSize=8, fillColor=INK))


def _unit_suffix(kpi: str) -> str:
    return {"fraction": " (%)", "seconds": " (s)", "points": " (pts)"}.get(kpi_unit(kpi), "")


def _axis_number(value: float) -> str:
    """Axis labels in the report locale: `85`, `2,5` / `2.5`."""
    digits = 0 if float(value).is_integer() else 1
    return current().decimal(value, digits)


def trend_chart(series: TrendSeries, width: float, height: float = 150) -> Drawing:
    """Actual value per month (solid, dots) against the target (dashed)."""
    values = [scaled(point.value, series.kpi) for point in series.points]
    target = scaled(series.target_value, series.kpi)
    low, high, step = axis_range([*values, target])
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 34, 22, width - 44, height - 44
    targets = [target] * len(values) if target is not None else []
    chart.data = [values, targets] if targets else [values]
    chart.categoryAxis.categoryNames = [
        printable(format_period(point.period, short=True)) for point in series.points
    ]
    _style_axes(chart, low, high, step)
    chart.lines[0].strokeColor = ACCENT
    chart.lines[0].strokeWidth = 1.6
    chart.lines[0].symbol = makeMarker("FilledCircle", size=3.5, fillColor=ACCENT)
    if sum(value is not None for value in values) < 2:
        chart.lines[0].strokeColor = None  # ReportLab cannot stroke a line of 0 or 1 point
    chart.lines[1].strokeColor = STATUS_INK["breached"]
    chart.lines[1].strokeWidth = 1
    chart.lines[1].strokeDashArray = (4, 2)
    drawing.add(chart)
    title = ngettext(
        "{objective}{unit}: last month, target {target} (dashed)",
        "{objective}{unit}: last {n} months, target {target} (dashed)",
        len(series.points),
    )
    _title(
        drawing,
        title.format(
            objective=series.objective_id,
            unit=_unit_suffix(series.kpi),
            n=len(series.points),
            target=series.target,
        ),
        height - 10,
    )
    return drawing


def _style_axes(
    chart: HorizontalLineChart | VerticalBarChart, low: float, high: float, step: float
) -> None:
    f = fonts()
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, high
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = f.regular
    chart.valueAxis.labels.fontSize = AXIS_FONT
    chart.valueAxis.labelTextFormat = _axis_number
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e4e7eb")
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.strokeColor = RULE
    chart.categoryAxis.strokeColor = RULE
    chart.categoryAxis.labels.fontName = f.regular
    chart.categoryAxis.labels.fontSize = AXIS_FONT
    chart.categoryAxis.labels.boxAnchor = "n"


def daily_chart(series: DailySeries, width: float, height: float = 140) -> Drawing:
    """One bar per day; missed days red with an `x` above; the target as a dashed line."""
    values = [scaled(point.value, series.kpi) for point in series.points]
    target = scaled(series.target_value, series.kpi)
    low, high, step = axis_range([*values, target])
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 34, 22, width - 44, height - 44
    chart.data = [[v if v is not None else low for v in values]]
    chart.categoryAxis.categoryNames = [str(point.day.day) for point in series.points]
    _style_axes(chart, low, high, step)
    chart.bars[0].fillColor = colors.HexColor("#9fb3c8")
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 2
    slot = chart.width / max(len(values), 1)
    for index, point in enumerate(series.points):
        if point.value is not None and values[index] == low:
            # a real 0 (or bottom) value: a visible stub, unlike a day without data
            drawing.add(
                Rect(chart.x + slot * index + 1.5, chart.y, slot - 3, 1.6,
                     fillColor=STATUS_INK.get(point.status, INK), strokeColor=None)
            )  # fmt: skip
        mark = DAY_MARKS.get(point.status)
        if mark is None:
            continue
        if point.status == "breached":
            chart.bars[(0, index)].fillColor = STATUS_INK["breached"]
        top = _y(values[index], low, high, chart) + 2
        drawing.add(
            String(
                chart.x + slot * (index + 0.5),
                top,
                mark,
                fontSize=7,
                fontName=fonts().bold,
                textAnchor="middle",
                fillColor=STATUS_INK[point.status],
            )
        )
    drawing.add(chart)
    if target is not None:
        y = _y(target, low, high, chart)
        drawing.add(
            Line(
                chart.x,
                y,
                chart.x + chart.width,
                y,
                strokeDashArray=(4, 2),
                strokeColor=INK,
                strokeWidth=0.8,
            )
        )
    _title(
        drawing,
        _(
            "{objective}{unit} per day: {missed} days missed (x), {allowed} allowed,"
            " e excused, ? no data; target {target} (dashed)"
        ).format(
            objective=series.objective_id,
            unit=_unit_suffix(series.kpi),
            missed=series.missed,
            allowed=series.allowed_misses,
            target=series.target,
        ),
        height - 10,
    )
    return drawing


def _y(value: float | None, low: float, high: float, chart: VerticalBarChart) -> float:
    share = 0.0 if value is None or high == low else (value - low) / (high - low)
    return float(chart.y + chart.height * min(max(share, 0.0), 1.0))


def volume_chart(volumes: Sequence[tuple[str, int]], width: float) -> Drawing:
    """Contacts per channel as horizontal bars with their counts."""
    height = 36 + 16 * len(volumes)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 8, width - 110, height - 28
    chart.data = [[count for _c, count in volumes]]
    chart.categoryAxis.categoryNames = [printable(channel_label(c)) for c, _n in volumes]
    chart.categoryAxis.labels.fontName = fonts().regular
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.reverseDirection = True
    chart.valueAxis.visible = False
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([count for _c, count in volumes] + [1]) * 1.05
    chart.bars[0].fillColor = ACCENT
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = lambda count: printable(current().count(int(count)))
    chart.barLabels.fontName = fonts().regular
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabels.fillColor = MUTED
    drawing.add(chart)
    _title(drawing, _("Contacts by channel"), height - 10)
    return drawing


SERIES_COLOURS = ("#243b53", "#d9822b", "#3e9e8f", "#9aa5b1", "#7b5ea7", "#c0392b")


def _legend(
    drawing: Drawing, names: Sequence[str], y: float, colour_of: Sequence[int] = ()
) -> None:
    x = 0.0
    for index, name in enumerate(names):
        slot = colour_of[index] if colour_of else index
        colour = colors.HexColor(SERIES_COLOURS[slot % len(SERIES_COLOURS)])
        drawing.add(Rect(x, y, 7, 7, fillColor=colour, strokeColor=None))
        label = printable(name)
        drawing.add(String(x + 10, y + 1, label, fontName=fonts().regular, fontSize=7,
                           fillColor=INK))  # fmt: skip
        x += 18 + stringWidth(label, fonts().regular, 7)


def setups_chart(
    title: str, setups: Sequence[str], kpis: Sequence[tuple[str, Sequence[float | None]]],
    width: float, height: float = 170,
) -> Drawing:  # fmt: skip
    """Grouped bars: one group per KPI (values already in display units), one bar per setup."""
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 34, 34, width - 44, height - 62
    chart.data = [[values[i] for _k, values in kpis] for i in range(len(setups))]
    chart.categoryAxis.categoryNames = [printable(name) for name, _v in kpis]
    every = [v for _k, values in kpis for v in values]
    low, high, step = axis_range([*every, 0.0])
    _style_axes(chart, low, high, step)
    chart.categoryAxis.labels.fontSize = 7
    for index in range(len(setups)):
        chart.bars[index].fillColor = colors.HexColor(SERIES_COLOURS[index % len(SERIES_COLOURS)])
        chart.bars[index].strokeColor = None
    chart.barLabelFormat = lambda value: printable(current().decimal(value, 1))
    chart.barLabels.fontName = fonts().regular
    chart.barLabels.fontSize = 5.5
    chart.barLabels.nudge = 4
    chart.groupSpacing = 8
    drawing.add(chart)
    _mark_missing(drawing, chart, [list(values) for _k, values in kpis], len(setups))
    _legend(drawing, setups, 2)
    _title(drawing, title, height - 10)
    return drawing


def _mark_missing(
    drawing: Drawing, chart: VerticalBarChart, groups: list[list[float | None]], bars: int
) -> None:
    """`n/a` where a setup has no value, so that a gap never reads as zero."""
    group_width = chart.width / max(len(groups), 1)
    bar_width = (group_width - chart.groupSpacing - chart.barSpacing * (bars - 1)) / max(bars, 1)
    for group, values in enumerate(groups):
        for bar, value in enumerate(values):
            if value is not None:
                continue
            x = chart.x + group * group_width + chart.groupSpacing / 2
            x += bar * (bar_width + chart.barSpacing) + bar_width / 2
            drawing.add(String(x, chart.y + 2, printable(_("n/a")), fontName=fonts().regular,
                               fontSize=5.5, textAnchor="middle", fillColor=MUTED))  # fmt: skip


def mix_chart(setups: Sequence[str], mixes: Sequence[dict[str, int]], width: float) -> Drawing:
    """One stacked bar per setup: the share of each channel in its contacts (percent)."""
    channels = sorted({c for mix in mixes for c, n in mix.items() if n},
                      key=lambda c: -sum(m.get(c, 0) for m in mixes))  # fmt: skip
    height = 50 + 18 * len(setups)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 70, 30, width - 80, height - 56
    totals = [max(sum(mix.values()), 1) for mix in mixes]
    chart.data = [[100 * mix.get(c, 0) / t for mix, t in zip(mixes, totals, strict=True)]
                  for c in channels]  # fmt: skip
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [printable(name) for name in setups]
    chart.categoryAxis.reverseDirection = True
    chart.categoryAxis.labels.fontName = fonts().regular
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = fonts().regular
    chart.valueAxis.labels.fontSize = AXIS_FONT
    chart.valueAxis.labelTextFormat = lambda value: printable(current().percent(value / 100, 0))
    for index in range(len(channels)):
        chart.bars[index].fillColor = colors.HexColor(SERIES_COLOURS[index % len(SERIES_COLOURS)])
        chart.bars[index].strokeColor = colors.white
    drawing.add(chart)
    _legend(drawing, [channel_label(c) for c in channels], 2)
    _title(drawing, _("Channel mix (% of contacts)"), height - 10)
    return drawing


def months_lines_chart(
    title: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    width: float,
    height: float = 130,
    percent: bool = False,
    colour_of: Sequence[int] = (),
) -> Drawing:
    """One line per provider over the months (gaps where a month has no value)."""
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 34, width - 50, height - 60
    chart.data = [list(values) for _name, values in series]
    chart.categoryAxis.categoryNames = [printable(format_period(p, short=True)) for p in periods]
    every = [v for _name, values in series for v in values]
    low, high, step = (0.0, 100.0, 25.0) if percent else axis_range([*every, 0.0])
    _style_axes(chart, low, high, step)
    if percent:
        chart.valueAxis.labelTextFormat = lambda v: printable(current().percent(v / 100, 0))
    chart.categoryAxis.joinAxisMode = "bottom"  # month names below negative values too
    palette = [
        colors.HexColor(SERIES_COLOURS[i % len(SERIES_COLOURS)])
        for i in (colour_of or range(len(series)))
    ]
    for index in range(len(series)):
        colour = palette[index]
        chart.lines[index].strokeColor = colour
        chart.lines[index].strokeWidth = 1.4
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3, fillColor=colour)
        if sum(v is not None for v in series[index][1]) < 2:
            chart.lines[index].strokeColor = None  # one point: the marker alone
    drawing.add(chart)
    _legend(drawing, [name for name, _v in series], 2, colour_of)
    _title(drawing, title, height - 10)
    return drawing
