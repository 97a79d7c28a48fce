"""The light views and table names that spare read-only commands the models stay the models'.

`adapters/storage/views.py` names columns and types again, and `migrations.SCHEMA_TABLES`
names the tables again, so that `contract list`, `run history`, `relief list` and a stored
month's `evaluate` import neither SQLModel nor the ORM: a model changed without them fails here.
"""

from __future__ import annotations

import pytest
from sqlalchemy import TableClause

from slaengine.adapters.storage.migrations import SCHEMA_TABLES, schema_metadata
from slaengine.adapters.storage.views import VIEWS


def test_the_schema_tables_named_for_the_quick_check_are_the_models_tables() -> None:
    assert set(schema_metadata().tables) == SCHEMA_TABLES


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.name)
def test_every_column_of_a_view_is_the_models_column_of_the_same_kind(view: TableClause) -> None:
    model = schema_metadata().tables[view.name]
    for column in view.c:
        assert column.name in model.c, f"{view.name}.{column.name} is not a column of the model"
        found, expected = column.type, model.c[column.name].type
        assert found._type_affinity is expected._type_affinity, f"{view.name}.{column.name}"
        assert getattr(found, "timezone", None) == getattr(expected, "timezone", None)
