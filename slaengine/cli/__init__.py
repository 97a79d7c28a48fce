"""The command line: parse, call a service, print. Errors become one-line messages here.

Commands are imported only when used: `slaengine --help` reads the short help of each from
COMMANDS and imports no command module (so neither SQLAlchemy, pandera, polars nor
ReportLab), which keeps it well under 0.3 s. A command added with `main.add_command(...)`
works as well, it is just imported at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from slaengine import __version__
from slaengine.cli.context import AppContext
from slaengine.cli.safe_text import visible
from slaengine.errors import SlaEngineError

# name -> (module, attribute, short help shown by `slaengine --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "contract": ("slaengine.cli.contract", "contract", "Check, load and list contracts."),
    "feed": ("slaengine.cli.feed", "feed", "Ingest provider KPI feeds and inspect quarantine."),
    "evaluate": ("slaengine.cli.evaluate", "evaluate", "Evaluate a contract for a month."),
    "report": ("slaengine.cli.report", "report", "Write scorecard, portfolio, audit PDFs."),
    "benchmark": ("slaengine.cli.benchmark", "benchmark", "Compare in-house and outsourced."),
    "demo": ("slaengine.cli.demo", "demo", "Run the whole cycle offline on example data."),
    "run": ("slaengine.cli.run", "run", "Monthly close, month-to-date warnings, run ledger."),
    "scheduler": ("slaengine.cli.scheduler", "scheduler", "Run the schedule; list its jobs."),
    "relief": ("slaengine.cli.relief", "relief", "Relief requests: declare, decide, list."),
    "db": ("slaengine.cli.db", "db", "Database schema: current revision, upgrade."),
    "storage": ("slaengine.cli.storage", "storage", "Columnar store upkeep (sweep strays)."),
}


class _Cli(click.Group):
    """A group that loads its commands on demand and turns any SlaEngineError into
    `error: message` on stderr and exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in COMMANDS:
            module, attribute, _help = COMMANDS[cmd_name]
            found = getattr(importlib.import_module(module), attribute)
            assert isinstance(found, click.Command)
            self.add_command(found, cmd_name)
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from COMMANDS, without importing any command module."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(formatter.width)))
            else:
                rows.append((name, COMMANDS[name][2]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SlaEngineError as error:
            click.echo(f"error: {visible(error, keep_lines=True)}", err=True)
            ctx.exit(1)
        except Exception as error:  # a database error no service turned into a message
            from slaengine.adapters.storage.engine import database_failure

            message = database_failure(error)
            if message is None:
                raise
            click.echo(f"error: {visible(message, keep_lines=True)}", err=True)
            ctx.exit(1)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slaengine")
@click.pass_context
def main(ctx: click.Context) -> None:
    """slaengine: SLA compliance for outsourced and in-house customer support.

    After `make demo`: `. .venv/bin/activate`, then
    `export SLAENGINE_DATABASE_URL=sqlite:///demo.db` to explore the demo's data.
    """
    ctx.obj = AppContext()
    ctx.call_on_close(ctx.obj.close)
