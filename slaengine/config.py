"""Settings: config.toml, overridden by SLAENGINE_* variables. Read on demand, never at import."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slaengine.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///slaengine.db"


@dataclass(frozen=True)
class FeedSource:
    """One `[[feeds]]` table: where to pull a contract's feed from."""

    contract: str
    kind: str
    url: str
    token_env: str | None = None
    format: str | None = None
    mapping: str | None = None
    max_bytes: int = 512 * 1024 * 1024  # largest body downloaded (adapters/feeds/pull.py)
    deadline_seconds: float = 300.0  # whole pull of this feed, retries and waits included


@dataclass(frozen=True)
class Schedule:
    timezone: str = "UTC"
    pull: str = "0 6 * * *"
    month_to_date: str = "0 7 * * *"
    monthly_close: str = "0 8 2 * *"


@dataclass(frozen=True)
class Delivery:
    smtp_host: str = "localhost"
    smtp_port: int = 25
    sender: str = "slaengine@localhost"
    director: tuple[str, ...] = ()
    webhook_url: str = ""
    smtp_user: str = ""  # login when set; the password is read from smtp_password_env
    smtp_password_env: str = ""
    starttls: bool = False  # STARTTLS on a plain connection (port 587, 25)
    tls: bool = False  # implicit TLS from the first byte (port 465)
    allow_plaintext_login: bool = False  # log in without TLS: a relay on this machine only
    resend_unconfirmed_after_hours: float = 24.0  # an e-mail whose fate a kill left unknown


@dataclass(frozen=True)
class Settings:
    """Everything configurable; paths are resolved against the config file's folder."""

    database_url: str = DEFAULT_DATABASE_URL
    contracts_dir: Path = Path("contracts")
    reports_dir: Path = Path("reports")
    feeds: tuple[FeedSource, ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    delivery: Delivery = field(default_factory=Delivery)
    source: Path | None = None
    # [storage] data: a folder (relative: to the config file) or a URL; "" for the catalogue's
    # default (`NAME.data` beside a SQLite file `NAME.db`, see adapters/columnar/location.py)
    data_location: str = ""
    locale: str = "fr_FR"  # [reports] locale: language and formats of PDFs and CSV twins


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read SLAENGINE_CONFIG (default ./config.toml if present) and apply SLAENGINE_* overrides.

    Raises ConfigError when the file exists but cannot be read or has wrongly typed values.
    """
    env = dict(os.environ) if environ is None else environ
    explicit = env.get("SLAENGINE_CONFIG")
    path = Path(explicit) if explicit else Path("config.toml")
    raw: dict[str, Any] = {}
    if path.exists():
        raw = _read_toml(path)
    elif explicit:
        raise ConfigError(f"{path}: configuration file not found (SLAENGINE_CONFIG)")
    base = path.parent if path.exists() else Path(".")
    settings = _apply_environment(_settings_from(raw, base, path if path.exists() else None), env)
    if not settings.data_location and not settings.database_url.startswith("sqlite"):
        # a database server has no file to name the store after: "data" beside the config
        settings = replace(settings, data_location=str((base / "data").resolve()))
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"config: [{name}] must be a table, found {type(value).__name__}")
    return value


def _settings_from(raw: dict[str, Any], base: Path, source: Path | None) -> Settings:
    database = _section(raw, "database")
    storage = _section(raw, "storage")
    paths = _section(raw, "paths")
    feeds_raw = raw.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError("config: [[feeds]] must be an array of tables")
    try:
        feeds = tuple(FeedSource(**entry) for entry in feeds_raw)
        schedule = Schedule(**_section(raw, "schedule"))
        delivery_raw = dict(_section(raw, "delivery"))
        delivery_raw["director"] = tuple(delivery_raw.get("director", ()))
        delivery = Delivery(**delivery_raw)
    except TypeError as error:
        raise ConfigError(f"config: {error}") from None
    check_webhook_url(delivery.webhook_url)
    return Settings(
        database_url=_resolve_sqlite(str(database.get("url", DEFAULT_DATABASE_URL)), base),
        contracts_dir=base / str(paths.get("contracts", "contracts")),
        reports_dir=base / str(paths.get("reports", "reports")),
        feeds=feeds,
        schedule=schedule,
        delivery=delivery,
        source=source,
        data_location=_resolve_data(str(storage.get("data", "")), base),
        locale=_report_locale(_section(raw, "reports")),
    )


def check_webhook_url(url: object) -> None:
    """ConfigError unless `url` is empty or an http(s) URL httpx can post to.

    The message never shows the URL: webhook URLs carry their credential in the path.
    """
    if not isinstance(url, str):
        raise ConfigError("config: [delivery] webhook_url must be a string")
    if not url:
        return
    import httpx  # only when a webhook is configured: not on every command's start-up

    reason = "expected http:// or https://, a host name, then the path"
    try:  # httpx's own messages quote pieces of the URL: none is shown
        parsed = httpx.URL(url)
        usable = (
            parsed.scheme in ("http", "https")
            and bool(parsed.host)
            and (parsed.port is None or 0 < parsed.port < 65536)
            and url.isprintable()
            and " " not in url
        )
    except (httpx.InvalidURL, ValueError, TypeError):
        usable, reason = False, "it cannot be parsed as a URL"
    if not usable:
        raise ConfigError(
            f"config: [delivery] webhook_url is not a usable URL ({reason}); the URL is not"
            " shown because webhook URLs carry their secret: check the value in config.toml"
        )


def _report_locale(reports: dict[str, Any]) -> str:
    code = str(reports.get("locale", "fr_FR"))
    if code not in ("fr_FR", "en_GB"):
        raise ConfigError(f"config: [reports] locale {code!r} is not supported: use fr_FR or en_GB")
    return code


def _resolve_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite path relative to the config file, not to the working folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rest = url[len(prefix) :]
        if rest and rest != ":memory:":
            return prefix + str(base / rest)
    return url


def _resolve_data(location: str, base: Path) -> str:
    """A relative data folder is the config file's, not the working folder's (URLs as given)."""
    if not location or "://" in location:
        return location
    path = Path(location).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _apply_environment(settings: Settings, env: dict[str, str]) -> Settings:
    if url := env.get("SLAENGINE_DATABASE_URL"):
        settings = replace(settings, database_url=url)
    if contracts := env.get("SLAENGINE_CONTRACTS_DIR"):
        settings = replace(settings, contracts_dir=Path(contracts))
    if reports := env.get("SLAENGINE_REPORTS_DIR"):
        settings = replace(settings, reports_dir=Path(reports))
    if data := env.get("SLAENGINE_DATA_URL"):
        settings = replace(settings, data_location=data)
    if locale := env.get("SLAENGINE_LOCALE"):
        settings = replace(settings, locale=_report_locale({"locale": locale}))
    return settings
