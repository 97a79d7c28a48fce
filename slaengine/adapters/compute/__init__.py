"""Polars tallies: stored contacts and intervals counted into the domain's daily Counts.

May import polars and the domain.
"""
