"""Imports every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations
