"""The CSV twin of a scorecard's objectives table, for those who want a spreadsheet.

Counts are written without thousands separators and values as raw numbers (fractions 0..1,
seconds, nps points), so that a spreadsheet can recompute every ratio.
"""

from __future__ import annotations

import csv
from pathlib import Path

from slaengine.domain.reports import ObjectiveRow, Scorecard
from slaengine.errors import ReportError

COLUMNS = (
    "contract",
    "contract_version",
    "period",
    "objective",
    "level",
    "channels",
    "kpi",
    "definition",
    "window",
    "target",
    "actual",
    "value",
    "numerator",
    "denominator",
    "status",
    "trend",
    "credit",
    "currency",
    "reason",
)


def _number(text: str) -> str:
    return "" if text in ("–", "n/a") else text.replace(",", "")


def _line(card: Scorecard, row: ObjectiveRow) -> list[str]:
    return [
        card.contract_id,
        str(card.contract_version),
        card.period,
        row.objective_id,
        row.level,
        row.channels,
        row.kpi,
        row.definition,
        row.window,
        row.target,
        row.actual,
        "" if row.value is None else repr(row.value),
        _number(row.numerator),
        _number(row.denominator),
        row.status,
        row.trend.delta if row.trend else "",
        _number(row.credit.removesuffix(f" {card.currency}")),
        card.currency,
        row.reason or "",
    ]


def write_objectives_csv(card: Scorecard, path: Path) -> Path:
    """Write one header line and one line per objective (UTF-8, comma, RFC 4180 quoting)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(_line(card, row) for row in card.rows)
    except OSError as error:
        raise ReportError(f"{path}: cannot write the CSV: {error.strerror}") from None
    return path
