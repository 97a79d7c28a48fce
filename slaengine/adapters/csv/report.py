"""The CSV twin of a scorecard's objectives table, for those who want a spreadsheet.

Made to open cleanly in Excel in the report locale: UTF-8 with a byte-order mark, `;` and a
decimal comma in fr_FR (`,` and a decimal point in en_GB), headers in the report language
with their units. Values are plain numbers without grouping (percentages as percent, seconds,
nps points, money in the contract's currency), so a spreadsheet can recompute every ratio
from the counts. The credits owed and the amount at risk close the table, then the incentives
and the provider's net position when the contract has an incentives block.

Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
or a carriage return) are neutralised with a leading apostrophe (OWASP CSV injection).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from slaengine.domain.reports import ObjectiveRow, Scorecard
from slaengine.domain.reports.text import kpi_name, kpi_unit
from slaengine.errors import ReportError
from slaengine.i18n import _, current

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNIT_WORDS = {"fraction": "%", "seconds": "s", "points": "pts", "money": ""}


def neutralised(text: str) -> str:
    """`'=SUM(A1)`: a text cell a spreadsheet would evaluate, made inert."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def number(value: float | Decimal | int | None, digits: int | None = None) -> str:
    """A plain number in the locale's decimal symbol, no grouping; empty when unknown."""
    if value is None:
        return ""
    if digits is not None:
        value = Decimal(repr(value) if isinstance(value, float) else value).quantize(
            Decimal(1).scaleb(-digits)
        )
    text = format(value, "f") if isinstance(value, Decimal) else repr(value)
    return text.replace(".", current().decimal_symbol)


def delimiter() -> str:
    """`;` where the decimal symbol is a comma (fr_FR), `,` elsewhere."""
    return ";" if current().decimal_symbol == "," else ","


def columns(currency: str) -> list[str]:
    return [
        _("contract"),
        _("version"),
        _("period"),
        _("objective"),
        _("level"),
        _("channels"),
        _("kpi"),
        _("definition"),
        _("window"),
        _("target"),
        _("value"),
        _("unit"),
        _("numerator"),
        _("denominator"),
        _("status"),
        _("trend (value unit)"),
        _("credit ({currency})").format(currency=currency),
        _("reason"),
    ]


def _shown(value: float | None, kpi: str) -> float | None:
    """The value in its display unit: percent for fractions."""
    if value is None:
        return None
    return round(value * 100, 6) if kpi_unit(kpi) == "fraction" else value


def _rounded(value: float | None) -> float | None:
    """Four decimals are plenty for a percentage, seconds or points (81.2345, not 81.2345000001)."""
    return None if value is None else round(value, 4)


def _line(card: Scorecard, row: ObjectiveRow, counts: tuple[str, str]) -> list[str]:
    texts = [
        card.contract_id,
        str(card.contract_version),
        card.period,
        row.objective_id,
        row.level_text or row.level,
        row.channels,
        kpi_name(row.kpi),
        row.definition,
        row.window,
        row.target,
    ]
    return [
        *(neutralised(text) for text in texts),
        number(_rounded(_shown(row.value, row.kpi))),
        UNIT_WORDS[kpi_unit(row.kpi)] or card.currency,
        *counts,
        neutralised(row.status_text),
        number(_rounded(row.trend_delta)),
        number(row.credit_amount, 2) if card.has_credits else "",
        neutralised(row.why or row.reason or ""),
    ]


def _total_line(card: Scorecard, label: str, amount: Decimal, reason: str = "") -> list[str]:
    width = len(columns(card.currency))
    line = [card.contract_id, str(card.contract_version), card.period, neutralised(label)]
    line += [""] * (width - len(line))
    line[-2] = number(amount, 2)
    line[-1] = neutralised(reason)
    return line


def incentive_lines(card: Scorecard) -> list[list[str]]:
    """Each objective's incentive, the total, the offset (if any) and the net position for
    the provider; nothing when the contract has no incentives."""
    view = card.incentives
    if view is None:
        return []
    lines = [
        _total_line(
            card,
            _("incentive {objective}").format(objective=line.objective_id),
            line.amount_value,
            line.why,
        )
        for line in view.lines
    ]
    lines.append(_total_line(card, _("total incentives"), view.total_value))
    if view.offset_credits:
        lines.append(
            _total_line(card, _("incentives offset against the credits"), view.credits_offset_value)
        )
    lines.append(_total_line(card, _("net position for the provider"), view.net_value))
    return lines


def scorecard_lines(card: Scorecard) -> list[list[str]]:
    """The header, one line per objective, then credits owed, earned back, net and at risk."""
    lines = [columns(card.currency)]
    for row in card.rows:
        lines.append(_line(card, row, (number(row.numerator_value), number(row.denominator_value))))
    if card.has_credits:
        lines += [
            _total_line(card, _("total credits owed"), card.credits_owed),
            _total_line(card, _("earned back"), card.earned_back),
            _total_line(card, _("net credits owed"), card.net_credits),
            _total_line(card, _("at risk this month"), card.at_risk),
        ]
    return lines + incentive_lines(card)


def write_objectives_csv(card: Scorecard, path: Path) -> Path:
    """Write the scorecard's CSV twin (UTF-8 with BOM, the locale's delimiter, RFC 4180)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter())
            writer.writerows(scorecard_lines(card))
    except OSError as error:
        raise ReportError(f"{path}: cannot write the CSV: {error.strerror}") from None
    return path
