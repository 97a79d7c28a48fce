"""`slaengine feed` commands."""

from __future__ import annotations

import click


@click.group()
def feed() -> None:
    """(being built)"""
