"""What every command shares: settings and the database engine, both created on first use."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.engine import Engine

from slaengine.config import Settings, load_settings


class AppContext:
    """Lazily loaded settings and engine (nothing is read before a command needs it)."""

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def engine(self) -> Engine:
        from slaengine.adapters.columnar.location import bind_data_location
        from slaengine.adapters.storage.engine import create_schema, make_engine

        engine = make_engine(self.settings.database_url)
        bind_data_location(engine, self.settings.data_location)
        create_schema(engine)
        return engine

    def close(self) -> None:
        """Dispose of the engine if a command opened one (no connection outlives a command)."""
        if "engine" in self.__dict__:
            self.__dict__.pop("engine").dispose()
