"""`slaengine report` commands."""

from __future__ import annotations

import click


@click.group()
def report() -> None:
    """(being built)"""
