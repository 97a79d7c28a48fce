"""Grouped money bars whose labels never overprint: one group per month, one bar per series.

Bars are drawn as shapes (exact geometry, so labels are placed, not guessed): a label is the
amount as money (`4 800,00 €`), written across the bar's top when it fits the bar's width,
upright along it when the bar is at least as wide as the text is high, and left out otherwise
(the totals table holds every figure). Zero amounts carry no label; a missing amount reads
`n/a`, never zero. The value axis grows to keep upright labels inside the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from slaengine.adapters.pdf.charts import SERIES_COLOURS, axis_range
from slaengine.adapters.pdf.style import INK, MUTED, RULE, fonts, printable
from slaengine.i18n import _

LABEL_FONT = 5.5
AXIS_FONT = 6.5
GAP = 1.5  # points between a bar's top and its label


@dataclass(frozen=True)
class BarLabel:
    """Where one label goes: `across` the bar's top, `along` it (upright), or nowhere."""

    text: str
    placement: str  # "across" | "along" | "none"


def place_label(text: str, bar_width: float, font: str, size: float = LABEL_FONT) -> BarLabel:
    """`across` when the text fits the bar's width, `along` when the bar is as wide as the
    text is high, else `none`: two labels never share the same horizontal room."""
    if not text:
        return BarLabel(text, "none")
    if stringWidth(text, font, size) <= bar_width:
        return BarLabel(text, "across")
    if bar_width >= size + 0.5:
        return BarLabel(text, "along")
    return BarLabel(text, "none")


def money_bars(
    title: str,
    series: Sequence[str],
    groups: Sequence[tuple[str, Sequence[float | None]]],
    label_of: Callable[[float], str],
    axis_of: Callable[[float], str],
    width: float,
    height: float = 190,
) -> Drawing:
    """`groups`: (category name, one value per series); `label_of` writes an amount."""
    f = fonts()
    drawing = Drawing(width, height)
    left, bottom, top_room = 44.0, 34.0, 22.0
    plot_w, plot_h = width - left - 6, height - bottom - top_room
    group_w = plot_w / max(len(groups), 1)
    bar_w = (group_w * 0.8) / max(len(series), 1)
    labels = [[_label(v, label_of, bar_w, f.regular) for v in values] for _n, values in groups]
    low, high, step = _axis(groups, labels, plot_h, f.regular)
    _grid(drawing, left, bottom, plot_w, plot_h, low, high, step, axis_of)
    scale = plot_h / (high - low)
    for g, (name, values) in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.1
        drawing.add(String(x0 + group_w * 0.4, bottom - 9, printable(name), fontName=f.regular,
                           fontSize=AXIS_FONT, textAnchor="middle", fillColor=INK))  # fmt: skip
        for s, value in enumerate(values):
            x = x0 + s * bar_w
            colour = colors.HexColor(SERIES_COLOURS[s % len(SERIES_COLOURS)])
            if value is None:
                drawing.add(String(x + bar_w / 2, bottom + 2, printable(_("n/a")),
                                   fontName=f.regular, fontSize=LABEL_FONT, textAnchor="middle",
                                   fillColor=MUTED))  # fmt: skip
                continue
            bar_h = (value - low) * scale
            drawing.add(Rect(x, bottom, bar_w * 0.92, bar_h, fillColor=colour, strokeColor=None))
            _draw_label(drawing, labels[g][s], x + bar_w * 0.46, bottom + bar_h + GAP, f.regular)
    _legend(drawing, series, 4)
    drawing.add(String(0, height - 10, printable(title), fontName=f.bold, fontSize=8,
                       fillColor=INK))  # fmt: skip
    return drawing


def _label(
    value: float | None, label_of: Callable[[float], str], bar_w: float, font: str
) -> BarLabel:
    if value is None or value == 0:
        return BarLabel("", "none")
    return place_label(printable(label_of(value)), bar_w * 0.92, font)


def _axis(
    groups: Sequence[tuple[str, Sequence[float | None]]],
    labels: list[list[BarLabel]],
    plot_h: float,
    font: str,
) -> tuple[float, float, float]:
    """The value axis, raised until every label stands inside the plot."""
    values = [v for _n, vs in groups for v in vs if v is not None]
    low, high, step = axis_range([*values, 0.0])
    for _attempt in range(20):
        scale = plot_h / (high - low)
        fits = all(
            (v - low) * scale + GAP + _room(label, font) <= plot_h
            for (_n, vs), row in zip(groups, labels, strict=True)
            for v, label in zip(vs, row, strict=True)
            if v is not None
        )
        if fits:
            break
        high += step
    return low, high, step


def _room(label: BarLabel, font: str) -> float:
    if label.placement == "along":
        return float(stringWidth(label.text, font, LABEL_FONT))
    return LABEL_FONT if label.placement == "across" else 0.0


def _draw_label(drawing: Drawing, label: BarLabel, x: float, y: float, font: str) -> None:
    if label.placement == "across":
        drawing.add(String(x, y, label.text, fontName=font, fontSize=LABEL_FONT,
                           textAnchor="middle", fillColor=INK))  # fmt: skip
    elif label.placement == "along":
        upright = Group(String(0, -LABEL_FONT * 0.35, label.text, fontName=font,
                               fontSize=LABEL_FONT, fillColor=INK))  # fmt: skip
        upright.rotate(90)
        placed = Group(upright)
        placed.translate(x, y)
        drawing.add(placed)


def _grid(
    drawing: Drawing,
    left: float,
    bottom: float,
    plot_w: float,
    plot_h: float,
    low: float,
    high: float,
    step: float,
    axis_of: Callable[[float], str],
) -> None:
    f = fonts()
    ticks = math.floor((high - low) / step + 1e-9)
    for i in range(ticks + 1):
        value = low + i * step
        y = bottom + (value - low) * plot_h / (high - low)
        drawing.add(Line(left, y, left + plot_w, y, strokeColor=colors.HexColor("#e4e7eb"),
                         strokeWidth=0.5))  # fmt: skip
        drawing.add(String(left - 3, y - 2, printable(axis_of(value)), fontName=f.regular,
                           fontSize=AXIS_FONT, textAnchor="end", fillColor=INK))  # fmt: skip
    drawing.add(Line(left, bottom, left + plot_w, bottom, strokeColor=RULE, strokeWidth=0.7))


def _legend(drawing: Drawing, names: Sequence[str], y: float) -> None:
    x = 0.0
    for index, name in enumerate(names):
        colour = colors.HexColor(SERIES_COLOURS[index % len(SERIES_COLOURS)])
        drawing.add(Rect(x, y, 7, 7, fillColor=colour, strokeColor=None))
        text = printable(name)
        drawing.add(String(x + 10, y + 1, text, fontName=fonts().regular, fontSize=7,
                           fillColor=INK))  # fmt: skip
        x += 18 + stringWidth(text, fonts().regular, 7)
