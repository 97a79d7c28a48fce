"""`slaengine contract` commands."""

from __future__ import annotations

import click


@click.group()
def contract() -> None:
    """(being built)"""
