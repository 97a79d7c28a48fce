"""Feeds: file readers, the feed annex's column mapping, Pandera schemas and the httpx pull.

May import polars, pandera, httpx, tenacity and the domain; never storage.
"""
