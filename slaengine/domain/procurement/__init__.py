"""Procurement: what changed between two contract versions and a backtest's comparison.

May import `domain.contract`, `domain.evaluation` and `domain.money`; never reports.
"""
