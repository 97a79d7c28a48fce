"""What every command shares: settings and the database engine, both created on first use."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from slaengine.config import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class AppContext:
    """Lazily loaded settings and engine (nothing is read before a command needs it)."""

    @cached_property
    def settings(self) -> Settings:
        """The settings; reading them activates their report locale (`[reports] locale`)."""
        from slaengine.i18n import activate

        settings = load_settings()
        self._locale = activate(settings.locale)
        return settings

    @cached_property
    def engine(self) -> Engine:
        from slaengine.adapters.columnar.location import bind_data_location
        from slaengine.adapters.storage.engine import create_schema, make_engine

        engine = make_engine(self.settings.database_url)
        bind_data_location(engine, self.settings.data_location)
        create_schema(engine)
        return engine

    @cached_property
    def reading_engine(self) -> Engine:
        """The engine for commands that only read (the listings): on SQLite they never wait
        for another process's write and show what it last committed. Nothing that may write
        uses it (a write through it is refused)."""
        from slaengine.adapters.storage.engine import reading

        return reading(self.engine)

    def close(self) -> None:
        """Dispose of the engine if a command opened one (no connection outlives a command) and
        restore the report locale that was active before."""
        self.__dict__.pop("reading_engine", None)  # shares the engine's pool
        if "engine" in self.__dict__:
            self.__dict__.pop("engine").dispose()
        if "_locale" in self.__dict__:
            from slaengine.i18n import deactivate

            deactivate(self.__dict__.pop("_locale"))
