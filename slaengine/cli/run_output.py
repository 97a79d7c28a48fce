"""How runs are shown: a rich progress bar on a terminal, a summary table, or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress as RichBar
from rich.progress import TaskID
from rich.table import Table

from slaengine.adapters.storage.run_repo import RunRecord
from slaengine.cli.safe_text import safe, visible
from slaengine.services.runs import RunReport

_OUTCOME_STYLE = {"done": "green", "failed": "bold red", "interrupted": "yellow", "skipped": "cyan"}


class BarProgress:
    """The services' Progress drawn as rich bars on stderr (nothing when not a terminal)."""

    def __init__(self, bar: RichBar) -> None:
        self.bar = bar
        self.tasks: dict[str, TaskID] = {}

    def phase(self, name: str, total: int) -> None:
        self.tasks[name] = self.bar.add_task(name, total=total)

    def advance(self, name: str, label: str) -> None:
        if name in self.tasks:
            self.bar.update(self.tasks[name], advance=1, description=f"{name}: {label}")


@contextmanager
def progress_bars(quiet: bool) -> Iterator[BarProgress]:
    console = Console(stderr=True)
    with RichBar(console=console, transient=True, disable=quiet or not console.is_terminal) as bar:
        yield BarProgress(bar)


def show_report(report: RunReport, as_json: bool) -> None:
    """Print the run's summary (stdout), its failures (stderr), exit 1 when something failed."""
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        _table(report)
    if report.outcome in ("failed", "interrupted"):
        click.echo(visible(f"error: {report.job} {report.period} {report.outcome}:"), err=True)
        for line in report.failures:
            click.echo(f"  {visible(line)}", err=True)
        raise click.exceptions.Exit(1)


def _table(report: RunReport) -> None:
    console = Console()
    style = _OUTCOME_STYLE.get(report.outcome, "")
    title = f"{safe(report.job)} {safe(report.period)}: [{style}]{safe(report.outcome)}[/]"
    if report.forced:
        title += " (forced)"
    if report.resumed:
        title += " (resumed)"
    if report.contracts:
        table = Table(title=title)
        for heading in ("contract", "steps", "breached", "at risk", "credits", "alerts", "error"):
            table.add_column(heading)
        for item in report.contracts:
            table.add_row(
                safe(item.contract_id),
                safe(_steps_text(item.steps)),
                str(item.breaches),
                str(item.at_risk),
                safe(f"{item.credits} {item.currency}".strip()),
                str(item.alerts),
                f"[red]{safe(item.error)}[/]" if item.error else "",
            )
        console.print(table)
    else:
        console.print(title)
    for line in (report.note, report.delivery and f"delivery: {report.delivery}"):
        if line:
            click.echo(visible(line))
    if report.reports:
        click.echo(
            visible(f"reports: {len(report.reports)} files in {Path(report.reports[0]).parent}")
        )


def show_history(runs: list[RunRecord], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([run.as_json() for run in runs], indent=2))
        return
    table = Table(title="run ledger (most recent first)")
    for heading in ("job", "period", "started", "finished", "outcome", "counts", "error", "forced"):
        table.add_column(heading)
    for run in runs:
        counts = _counts_text(run.counts)
        table.add_row(
            safe(run.job),
            safe(run.period),
            f"{run.started_at:%Y-%m-%d %H:%M:%S}Z",
            f"{run.finished_at:%Y-%m-%d %H:%M:%S}Z" if run.finished_at else "-",
            f"[{_OUTCOME_STYLE.get(run.outcome, '')}]{safe(run.outcome)}[/]",
            safe(counts),
            safe(run.error or ""),
            "forced" if run.forced else "",
        )
    Console().print(table)


def _counts_text(counts: dict[str, object]) -> str:
    shown = [
        f"{counts[key]} {key}"
        for key in ("contracts", "failed", "breaches", "alerts")
        if counts.get(key)
    ]
    credits = counts.get("credits")
    if isinstance(credits, dict) and credits:
        shown.append("credits " + " + ".join(f"{v} {c}" for c, v in credits.items()))
    return ", ".join(shown)


def _short(text: str, limit: int = 90) -> str:
    """Long errors are cut in the table (`run history --json` has them whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _steps_text(steps: list[str]) -> str:
    if steps == ["pulled", "evaluated", "reported"]:
        return "all"
    return ", ".join(steps) or "-"
