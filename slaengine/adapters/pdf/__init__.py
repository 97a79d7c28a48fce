"""How reports look: ReportLab PDFs (A4) of the data objects of `slaengine.domain.reports`.

May import ReportLab, `adapters.pdf`'s own modules and the domain (never services).
"""

from __future__ import annotations

from slaengine.adapters.pdf.audit import render_audit
from slaengine.adapters.pdf.benchmark import render_benchmark
from slaengine.adapters.pdf.portfolio import render_portfolio
from slaengine.adapters.pdf.scorecard import render_scorecard

__all__ = ["render_audit", "render_benchmark", "render_portfolio", "render_scorecard"]
