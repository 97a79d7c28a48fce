"""`slaengine benchmark` commands."""

from __future__ import annotations

import click


@click.group()
def benchmark() -> None:
    """(being built)"""
