"""Use case: pull a contract's configured feeds over HTTP, then ingest them like files.

Downloads go to a temporary `slaengine-pull-*` folder, removed when the pull ends, also when
it is stopped by SIGTERM or SIGHUP (turned into FeedPullError while a pull runs in the main
thread) or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import Engine

from slaengine.adapters.feeds.pull import DownloadResult, check_token, download, safe_url
from slaengine.config import FeedSource, Settings
from slaengine.errors import ConfigError, FeedPullError

if TYPE_CHECKING:
    from slaengine.adapters.feeds.mapping import FeedMapping
    from slaengine.services.feeds import IngestReport

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SUFFIXES = {".csv": ".csv", ".jsonl": ".jsonl", ".ndjson": ".jsonl", ".parquet": ".parquet"}
_CONTENT_TYPES = {
    "text/csv": ".csv",
    "application/x-ndjson": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/vnd.apache.parquet": ".parquet",
}


@dataclass(frozen=True)
class PullOutcome:
    """One configured feed pulled: the URL shown (no secrets), the download and the ingestion."""

    contract_id: str
    kind: str
    url: str
    download: DownloadResult
    ingest: IngestReport

    def as_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract_id,
            "kind": self.kind,
            "url": self.url,
            "size_bytes": self.download.size_bytes,
            "sha256": self.download.sha256,
            "attempts": self.download.attempts,
            "ingest": self.ingest.to_json(),
        }

    def summary_line(self) -> str:
        report = self.ingest
        unchanged = " (same file as before: nothing changed)" if report.unchanged else ""
        return (
            f"{self.kind} from {self.url}: {self.download.size_bytes} bytes in "
            f"{self.download.attempts} attempt(s); rows {report.rows}, stored {report.stored}, "
            f"quarantined {report.quarantined}{unchanged}"
        )


def pull_feeds(
    engine: Engine,
    settings: Settings,
    contract_id: str,
    period: str,
    *,
    client: httpx.Client | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[PullOutcome]:
    """Download every `[[feeds]]` entry of `contract_id` for `period` (YYYY-MM) and ingest it.

    Feeds are pulled in configuration order; the first failure stops the pull (feeds already
    ingested stay stored). Raises ConfigError when no feed is configured for the contract,
    FeedPullError for a missing token variable or a failed download, FeedMappingInvalid for
    an unusable mapping file, and whatever ingestion raises (FeedRefused, ...).
    """
    if not _PERIOD.match(period):
        raise FeedPullError(f"period must be a month as YYYY-MM (e.g. 2026-10), found {period!r}")
    feeds = _feeds_of(settings, contract_id)
    env = os.environ if environ is None else environ
    with _stopped_by_signals(), tempfile.TemporaryDirectory(prefix="slaengine-pull-") as folder:
        return [
            _pull_one(engine, settings, feed, period, Path(folder) / str(index), client, env)
            for index, feed in enumerate(feeds, start=1)
        ]


_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception, so that temporary files are removed."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are delivered to the main thread only: its handlers stay
        return

    def stop(number: int, _frame: object) -> None:
        raise FeedPullError(
            f"stopped by {signal.Signals(number).name}: the download in progress was removed; "
            "feeds already ingested stay stored"
        )

    previous = {number: signal.signal(number, stop) for number in _SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _feeds_of(settings: Settings, contract_id: str) -> list[FeedSource]:
    feeds = [feed for feed in settings.feeds if feed.contract == contract_id]
    if feeds:
        return feeds
    where = settings.source or "config.toml"
    configured = sorted({feed.contract for feed in settings.feeds})
    listed = ", ".join(configured) if configured else "none"
    raise ConfigError(
        f"{where}: no [[feeds]] entry for contract {contract_id!r}; "
        f"feeds are configured for: {listed}"
    )


def _pull_one(
    engine: Engine,
    settings: Settings,
    feed: FeedSource,
    period: str,
    folder: Path,
    client: httpx.Client | None,
    env: Mapping[str, str],
) -> PullOutcome:
    from slaengine.services.feeds import ingest_feed

    url = feed.url.replace("{period}", period)
    token = _token(feed, env)
    mapping = _mapping(feed, settings)
    fetched = download(
        url,
        folder / "download.part",
        token=token,
        client=client,
        max_bytes=_positive(feed, "max_bytes", int),
        deadline_seconds=_positive(feed, "deadline_seconds", float),
        public=(period,),
    )
    path = fetched.path.rename(folder / _file_name(feed, url, period, fetched.content_type))
    fetched = dataclasses.replace(fetched, path=path)
    shown = safe_url(url, (period,))
    result = ingest_feed(engine, feed.contract, feed.kind, path, source=shown, mapping=mapping)
    return PullOutcome(feed.contract, feed.kind, shown, fetched, result)


def _token(feed: FeedSource, env: Mapping[str, str]) -> str | None:
    if feed.token_env is None:
        return None
    token = env.get(feed.token_env)
    if not token:
        raise FeedPullError(
            f"feed {feed.kind} of contract {feed.contract}: the token variable "
            f"{feed.token_env} (token_env in config.toml) is not set; export it and retry"
        )
    check_token(
        token, f"feed {feed.kind} of contract {feed.contract}: the variable {feed.token_env}"
    )
    return token


def _positive(feed: FeedSource, name: str, kind: type[int] | type[float]) -> Any:
    value = getattr(feed, name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(
            f"feed {feed.kind} of contract {feed.contract}: {name} in [[feeds]] must be a "
            f"positive number, found {value!r}"
        )
    if kind is int and not isinstance(value, int):
        raise ConfigError(
            f"feed {feed.kind} of contract {feed.contract}: {name} in [[feeds]] must be a "
            f"whole number of bytes, found {value!r}"
        )
    return kind(value)


def _mapping(feed: FeedSource, settings: Settings) -> FeedMapping | None:
    if feed.mapping is None:
        return None
    if feed.kind != "contacts":
        raise ConfigError(
            f"feed {feed.kind} of contract {feed.contract}: a mapping turns a provider export "
            'into the contacts annex; remove `mapping` or set kind = "contacts"'
        )
    from slaengine.adapters.feeds.mapping import load_mapping

    path = Path(feed.mapping)
    if not path.is_absolute() and settings.source is not None:
        path = settings.source.parent / path
    return load_mapping(path)


def _file_name(feed: FeedSource, url: str, period: str, content_type: str | None) -> str:
    """The URL's file name (recorded with the feed), with a suffix that tells its format."""
    name = _UNSAFE.sub("_", PurePosixPath(urlsplit(url).path).name).strip("._")
    stem = name or f"{feed.contract}-{feed.kind}-{period}"
    suffix = _suffix(feed, url, content_type)
    return stem if stem.lower().endswith(suffix) else PurePosixPath(stem).stem + suffix


def _suffix(feed: FeedSource, url: str, content_type: str | None) -> str:
    """File suffix that tells the reader the format: configured, else URL path, else MIME type."""
    if feed.format:
        configured = "." + feed.format.lower().lstrip(".")
        return _SUFFIXES.get(configured, configured)
    from_path = _SUFFIXES.get(PurePosixPath(urlsplit(url).path).suffix.lower())
    if from_path:
        return from_path
    mime = (content_type or "").split(";")[0].strip().lower()
    return _CONTENT_TYPES.get(mime, ".csv")
