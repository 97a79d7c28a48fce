"""Imports every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

from slaengine.adapters.storage import (
    contract_tables,  # noqa: F401
    evaluation_tables,  # noqa: F401
    feed_tables,  # noqa: F401
    relief_tables,  # noqa: F401
    run_tables,  # noqa: F401
)
