"""Where the Parquet files live: a local folder or any fsspec URL (s3://bucket/prefix).

The location is, in order: SLAENGINE_DATA_URL, the one bound to the engine by the command
line from `[storage] data` in config.toml (resolved against the configuration file's folder),
else the catalogue's own default: beside a SQLite file, the folder named after it
(`demo.db` -> `demo.data`), so that two catalogues never share a store by default; for a
database server, "data" in the working folder. A relative folder bound here is taken beside
the SQLite database file, or in the working folder for a database server.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # polars and fsspec are imported where files are read or written, not by
    # every command (each command binds its data location here at start-up)
    import polars as pl
    from fsspec import AbstractFileSystem

DATA_ENV = "SLAENGINE_DATA_URL"
DEFAULT_DATA = "data"

_BOUND: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Part:
    """A written part, to register: where, which month, how many rows, first and last instant."""

    path: str
    month: str
    rows: int
    first_us: int
    last_us: int


def bind_data_location(engine: Engine, location: str) -> None:
    """Use `location` (a folder or fsspec URL) for this engine's Parquet files."""
    _BOUND[engine] = location


def data_location(engine: Engine) -> str:
    """The data location of the engine's catalogue, as an absolute folder or a URL."""
    chosen = os.environ.get(DATA_ENV) or _BOUND.get(engine) or default_data_location(engine)
    if "://" in chosen:
        return chosen.rstrip("/")
    path = Path(chosen).expanduser()
    if not path.is_absolute():
        base = Path.cwd()
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            base = Path(database).resolve().parent
        path = base / path
    return str(path)


def default_data_location(engine: Engine) -> str:
    """The store of a catalogue that names none: `NAME.data` beside a SQLite file `NAME.db`,
    else "data" (in the working folder)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        path = Path(database).resolve()
        name = path.name if path.suffix == ".data" else path.stem  # never the file itself
        return str(path.with_name(f"{name}.data"))
    return DEFAULT_DATA


@dataclass(frozen=True)
class DataStore:
    """A file system and the root folder of the Parquet files in it."""

    fs: AbstractFileSystem
    root: str
    location: str

    @property
    def local(self) -> bool:
        from fsspec.implementations.local import LocalFileSystem

        return isinstance(self.fs, LocalFileSystem)

    def full(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def write(self, relative: str, frame: pl.DataFrame) -> None:
        """Write a Parquet file so that it appears whole or not at all.

        Local: a temporary name, fsync, rename, fsync of the folder. Object stores: one PUT,
        which is atomic by itself.
        """
        target = self.full(relative)
        if not self.local:
            buffer = io.BytesIO()
            frame.write_parquet(buffer, statistics=True)
            self.fs.pipe_file(target, buffer.getvalue())
            return
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        with temporary.open("wb") as handle:
            frame.write_parquet(handle, statistics=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_folder(path.parent)

    def temporary(self, relative: str) -> str:
        """A local file to write `relative` into before `publish` (never a visible name)."""
        if self.local:
            path = Path(self.full(relative))
            path.parent.mkdir(parents=True, exist_ok=True)
            return str(path.with_name(f".{path.name}.tmp"))
        scratch = self.scratch()
        scratch.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="part-", suffix=".parquet", dir=scratch)
        os.close(handle)
        return name

    def scratch(self) -> Path:
        """The local folder of an object store's parts being written (before their upload):
        one per store, so that `storage sweep` of this store removes those a killed ingest left
        and no other store's."""
        digest = hashlib.sha256(self.location.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "slaengine-parts" / digest

    def publish(self, temporary: str, relative: str) -> None:
        """Make a written temporary file visible as `relative`, whole or not at all."""
        if not self.local:
            try:
                self.fs.put_file(temporary, self.full(relative))
            finally:
                Path(temporary).unlink(missing_ok=True)
            return
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        path = Path(self.full(relative))
        os.replace(temporary, path)
        _fsync_folder(path.parent)

    def sink(self, rows: pl.LazyFrame, relative: str, time: str, month: str) -> Part | None:
        """Write a lazy frame's rows as `relative` (streamed on local files); the part written,
        or None when there are no rows (nothing is left behind)."""
        import polars as pl

        temporary = self.temporary(relative)
        try:
            rows.sink_parquet(temporary, statistics=True)
            stats = (
                pl.scan_parquet(temporary)
                .select(
                    pl.len().alias("rows"),
                    pl.col(time).dt.epoch("us").min().alias("first"),
                    pl.col(time).dt.epoch("us").max().alias("last"),
                )
                .collect()
                .row(0, named=True)
            )
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if not stats["rows"]:
            Path(temporary).unlink(missing_ok=True)
            return None
        self.publish(temporary, relative)
        return Part(relative, month, int(stats["rows"]), int(stats["first"]), int(stats["last"]))

    def scan(self, relatives: list[str], schema: dict[str, pl.DataType]) -> pl.LazyFrame:
        """A lazy frame over the files (predicates pushed down on local files)."""
        import polars as pl

        if not relatives:
            return pl.LazyFrame(schema=schema)
        if self.local:
            return pl.scan_parquet([self.full(name) for name in relatives])
        frames = [
            pl.read_parquet(io.BytesIO(self.fs.cat_file(self.full(name)))) for name in relatives
        ]
        return pl.concat(frames, how="vertical").lazy()

    def remove(self, relatives: list[str]) -> None:
        """Delete files, ignoring those already gone."""
        for name in relatives:
            try:
                self.fs.rm_file(self.full(name))
            except FileNotFoundError:
                continue


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def open_store(engine: Engine) -> DataStore:
    """The data store of the engine's catalogue."""
    return store_at(data_location(engine))


def store_at(location: str) -> DataStore:
    """The data store at an absolute folder or fsspec URL."""
    import fsspec.core

    fs, root = fsspec.core.url_to_fs(location)
    return DataStore(fs, str(root).rstrip("/"), location)
