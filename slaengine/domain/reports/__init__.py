"""What reports say (issue 5): the plain data objects behind every PDF and CSV.

A report has two halves: what it says (built here, from plain objects, with no I/O) and how
it looks (`slaengine.adapters.pdf`). This module gathers the builders and objects:

- `build_scorecard(contract, evaluation, history=..., feeds=..., benchmark=...)` -> Scorecard
- `build_portfolio(period, scorecards, benchmarks)` -> Portfolio
- `build_audit(contract, evaluation, spec_text=..., contract_file_hash=..., ...)` -> AuditReport
- `build_benchmark_table(result, highlight)` -> BenchmarkTable
- `describe_objective(objective)` -> the objective's formula in words
- `build_close_mail(portfolio, files)` -> CloseMailText: the director's e-mail of a close
- `no_data_text(contract, period, kinds)`: "no data received for …" when nothing arrived
- `engine_words(sentence)`, `reasons_words(reasons)`: stored English notes, reasons and
  quarantine codes in the report language

May import every other room of the domain and `slaengine.i18n`; nothing imports it but
adapters and services.
"""

from __future__ import annotations

from slaengine.domain.reports.audit import (
    AuditCalendar,
    AuditExclusion,
    AuditFormula,
    AuditReport,
    build_audit,
    inputs_sha256,
)
from slaengine.domain.reports.benchmark import BenchmarkRow, BenchmarkTable, build_benchmark_table
from slaengine.domain.reports.portfolio import (
    CriticalStatus,
    Portfolio,
    PortfolioRow,
    build_portfolio,
)
from slaengine.domain.reports.register import BreachEntry, DataQuality, FeedFileInfo
from slaengine.domain.reports.scorecard import (
    DailyPoint,
    DailySeries,
    ObjectiveRow,
    Scorecard,
    StatusCounts,
    Trend,
    TrendPoint,
    TrendSeries,
    build_scorecard,
)
from slaengine.domain.reports.text import describe_objective, format_value, status_mark

__all__ = [
    "AuditCalendar",
    "AuditExclusion",
    "AuditFormula",
    "AuditReport",
    "BenchmarkRow",
    "BenchmarkTable",
    "BreachEntry",
    "CriticalStatus",
    "DailyPoint",
    "DailySeries",
    "DataQuality",
    "FeedFileInfo",
    "ObjectiveRow",
    "Portfolio",
    "PortfolioRow",
    "Scorecard",
    "StatusCounts",
    "Trend",
    "TrendPoint",
    "TrendSeries",
    "build_audit",
    "build_benchmark_table",
    "build_portfolio",
    "build_scorecard",
    "describe_objective",
    "format_value",
    "inputs_sha256",
    "status_mark",
]
