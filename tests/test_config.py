"""Settings come from config.toml, then SLAENGINE_* variables; problems are clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from slaengine.config import DEFAULT_DATABASE_URL, load_settings
from slaengine.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_reads_as_the_spec_describes() -> None:
    settings = load_settings({"SLAENGINE_CONFIG": str(ROOT / "config.toml")})
    assert settings.database_url == f"sqlite:///{ROOT / 'slaengine.db'}"
    assert settings.contracts_dir == ROOT / "contracts"
    assert settings.reports_dir == ROOT / "reports"
    assert settings.feeds == ()  # the example [[feeds]] is commented out: the demo closes offline
    assert settings.schedule.timezone == "Europe/Paris"
    assert settings.schedule.monthly_close == "0 8 2 * *"
    assert settings.delivery.director == ()  # reports written, no e-mail to a made-up address
    assert settings.locale == "fr_FR"


def test_the_shipped_example_feed_reads_once_uncommented(tmp_path: Path) -> None:
    text = (ROOT / "config.toml").read_text()
    uncommented = text.replace("# [[feeds]]", "[[feeds]]").replace(
        '# contract = "acme-l1"', 'contract = "acme-l1"'
    )
    for key in ("kind", "url", "token_env"):
        uncommented = uncommented.replace(f"# {key} = ", f"{key} = ")
    settings = load_settings({"SLAENGINE_CONFIG": str(write(tmp_path / "c.toml", uncommented))})
    assert settings.feeds[0].contract == "acme-l1"
    assert settings.feeds[0].token_env == "ACME_FEED_TOKEN"
    assert settings.feeds[0].url == "https://feeds.example.net/acme/contacts?month={period}"


def test_relative_sqlite_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[database]\nurl = "sqlite:///data/x.db"\n')
    settings = load_settings({"SLAENGINE_CONFIG": str(config)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'x.db'}"


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[paths]\nreports = "out"\n')
    settings = load_settings(
        {
            "SLAENGINE_CONFIG": str(config),
            "SLAENGINE_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SLAENGINE_CONTRACTS_DIR": "/srv/contracts",
            "SLAENGINE_REPORTS_DIR": "/srv/reports",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.contracts_dir == Path("/srv/contracts")
    assert settings.reports_dir == Path("/srv/reports")


def test_without_any_config_the_defaults_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.feeds == ()


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings({"SLAENGINE_CONFIG": str(tmp_path / "nope.toml")})


def test_invalid_toml_names_the_file_and_the_position(tmp_path: Path) -> None:
    config = write(tmp_path / "bad.toml", "[database\nurl = 1\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML: .*line 1"):
        load_settings({"SLAENGINE_CONFIG": str(config)})


def test_an_unknown_feed_key_is_an_error(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.toml",
        '[[feeds]]\ncontract = "a"\nkind = "contacts"\nurl = "http://x"\ntoken = "secret"\n',
    )
    with pytest.raises(ConfigError, match="token"):
        load_settings({"SLAENGINE_CONFIG": str(config)})


def test_a_section_of_the_wrong_type_is_an_error(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", 'database = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError, match=r"\[database\] must be a table"):
        load_settings({"SLAENGINE_CONFIG": str(config)})
