"""The command line: parse, call a service, print. Errors become one-line messages here."""

from __future__ import annotations

from typing import Any

import click

from slaengine import __version__
from slaengine.cli.context import AppContext
from slaengine.errors import SlaEngineError


class _Cli(click.Group):
    """A group that turns any SlaEngineError into `error: message` on stderr and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SlaEngineError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)
        except Exception as error:  # a database error no service turned into a message
            from slaengine.adapters.storage.engine import database_failure

            message = database_failure(error)
            if message is None:
                raise
            click.echo(f"error: {message}", err=True)
            ctx.exit(1)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slaengine")
@click.pass_context
def main(ctx: click.Context) -> None:
    """slaengine: SLA compliance for outsourced and in-house customer support."""
    ctx.obj = AppContext()
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from slaengine.cli import (
        benchmark,
        contract,
        db,
        demo,
        evaluate,
        feed,
        report,
        run,
        scheduler,
        storage,
    )

    main.add_command(contract.contract)
    main.add_command(feed.feed)
    main.add_command(evaluate.evaluate)
    main.add_command(report.report)
    main.add_command(benchmark.benchmark)
    main.add_command(demo.demo)
    main.add_command(run.run)
    main.add_command(scheduler.scheduler)
    main.add_command(db.db)
    main.add_command(storage.storage)


_register()
