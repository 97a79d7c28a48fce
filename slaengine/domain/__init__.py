"""The domain core: contracts, calendars, KPIs, evaluation, credits, benchmarks.

Standard library and pydantic only: no files, databases, HTTP, PDF or clocks here.
"""
