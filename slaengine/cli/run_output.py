"""How runs are shown: a rich progress bar on a terminal, a summary table, or JSON."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from slaengine.adapters.storage.run_records import AttemptRecord, RunRecord
from slaengine.cli.safe_text import safe, visible

if TYPE_CHECKING:  # the run machinery and its bars: for the commands that run jobs, not history
    from rich.progress import Progress as RichBar
    from rich.progress import TaskID

    from slaengine.services.runs import RunReport

_OUTCOME_STYLE = {
    "done": "green",
    "failed": "bold red",
    "interrupted": "yellow",
    "skipped": "cyan",
    "running": "magenta",
}


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
    from rich.progress import Progress as RichBar

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
    console = Console(highlight=False)
    title = Text(f"{report.job} {report.period}: ")
    title.append(report.outcome, style=_OUTCOME_STYLE.get(report.outcome, ""))
    if report.forced:
        title.append(" (forced)")
    if report.resumed:
        title.append(" (resumed)")
    if report.contracts:
        table = Table(title=title)
        for heading in ("contract", "steps", "breached", "at risk", "credits", "alerts", "error"):
            table.add_column(heading, overflow="fold")
        for item in report.contracts:
            table.add_row(
                Text(visible(item.contract_id)),
                _steps_text(item.steps),
                str(item.breaches),
                str(item.at_risk),
                safe(f"{item.credits} {item.currency}".strip()),
                str(item.alerts),
                Text(visible(item.error), style="red") if item.error else "",
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
    """The ledger, most recent run first: one line per run (job, period, generation, outcome,
    counts), then one per attempt (kind, start and finish in UTC, duration, outcome) and its
    error, wrapped to the terminal's width (80 columns when piped). Stored text is never read
    as markup."""
    if as_json:
        click.echo(json.dumps([run.as_json() for run in runs], indent=2))
        return
    console = Console(highlight=False)
    console.print(Text("run ledger, most recent first (times in UTC)", style="bold"))
    if not runs:
        console.print("no run recorded yet")
    for run in runs:
        console.print(_run_line(run))
        counts = _counts_text(run.counts)
        if counts:
            _wrapped(console, counts, indent=2)
        for attempt in run.attempts or _legacy_attempt(run):
            console.print(_attempt_line(attempt))
            if attempt.error:
                _wrapped(console, attempt.error, indent=6, style="red")


def _run_line(run: RunRecord) -> Text:
    line = Text()
    line.append(visible(f"{run.job} {run.period}"), style="bold")
    line.append(f"  gen {run.generation}")
    if run.forced:
        line.append(" forced", style="yellow")
    line.append("  ")
    line.append(visible(run.outcome), style=_OUTCOME_STYLE.get(run.outcome, ""))
    return line


def _legacy_attempt(run: RunRecord) -> tuple[AttemptRecord, ...]:
    """A run read without its attempts is shown as one attempt with the run's own instants."""
    kind = "forced" if run.forced else "first"
    return (
        AttemptRecord(
            run.id, 1, kind, run.started_at, run.finished_at, run.outcome, run.counts, run.error
        ),
    )


def _attempt_line(attempt: AttemptRecord) -> Text:
    started = attempt.started_at
    finished = attempt.finished_at
    if finished is None:
        end, took = "…", ""
    else:
        same_day = finished.date() == started.date()
        end = f"{finished:%H:%M:%S}" if same_day else f"{finished:%Y-%m-%d %H:%M:%S}"
        took = _duration(finished - started)
    kind = visible(attempt.kind)
    line = Text(f"  {attempt.attempt:>2} {kind:<8} {started:%Y-%m-%d %H:%M:%S} → {end}")
    line.append(f"  {took:>6}  " if took else "  ")
    line.append(visible(attempt.outcome), style=_OUTCOME_STYLE.get(attempt.outcome, ""))
    return line


def _duration(elapsed: timedelta) -> str:
    seconds = max(0, round(elapsed.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d}"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"


def _wrapped(console: Console, words: str, *, indent: int, style: str = "") -> None:
    shown = " ".join(visible(words).split())
    width = max(20, console.width - indent)
    for line in textwrap.wrap(shown, width) or [""]:
        console.print(Text(" " * indent + line, style=style))


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


def _steps_text(steps: list[str]) -> str:
    if steps == ["pulled", "evaluated", "reported"]:
        return "all"
    return ", ".join(steps) or "-"
