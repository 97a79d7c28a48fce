"""Evaluation: the KPI catalogue and formulas, windows, exclusions, settlement, results, early
warning and the sourcing benchmark.

May import `domain.contract` and `domain.money` (the month's result composes credits and
incentives); `domain.money` imports only `results` from here.
"""
