"""The command line is a thin shell: every command has help; user mistakes are one-line errors."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from slaengine.cli import main


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    context = click.Context(group)
    for name in group.list_commands(context):  # commands load on demand (slaengine.cli)
        command = group.get_command(context, name)
        assert command is not None
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
    return found


@pytest.mark.parametrize("path", all_commands(main), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "(being built)" not in result.output


def test_the_spec_commands_exist() -> None:
    paths = set(all_commands(main))
    for expected in [
        ("contract", "check"),
        ("contract", "schema"),
        ("contract", "load"),
        ("feed", "ingest"),
        ("feed", "pull"),
        ("feed", "quarantine"),
        ("evaluate",),
        ("report", "scorecard"),
        ("report", "portfolio"),
        ("report", "audit"),
        ("benchmark",),
        ("demo",),
    ]:
        assert expected in paths, f"missing command: slaengine {' '.join(expected)}"


def test_an_unknown_command_is_a_usage_error_with_exit_2() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_a_bad_database_url_is_one_line_and_exit_1_without_traceback(tmp_path: object) -> None:
    env = {"SLAENGINE_DATABASE_URL": "not a url at all", "SLAENGINE_CONFIG": ""}
    result = subprocess.run(
        [sys.executable, "-m", "slaengine", "contract", "list"],
        capture_output=True,
        text=True,
        env={**_base_env(), **env},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "error: database URL 'not a url at all' is not a SQLAlchemy URL"
    )


def _base_env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("SLAENGINE_")}
