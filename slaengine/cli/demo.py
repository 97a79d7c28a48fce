"""`slaengine demo`: the whole cycle on generated example feeds, offline, into reports/.

Fixed months (2026-06..2026-10) and a fixed evaluation instant make the output the same on
every run: contracts are checked and loaded, feeds generated (seeded) and ingested, every
month evaluated in order, then scorecards, portfolio, audit reports and the benchmark are
written. Progress goes to stderr, results (tables and paths) to stdout.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from slaengine.cli.context import AppContext
from slaengine.cli.safe_text import safe, visible
from slaengine.errors import ContractNotFound, SlaEngineError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy.engine import Engine

    from slaengine.demo.generate import GeneratedFile
    from slaengine.domain.contract.model import Contract


class DemoRefused(SlaEngineError):
    """The demo was pointed at a database that already holds contracts."""


DEMO_AS_OF = datetime.fromisoformat("2026-11-02T08:00:00+01:00")
DEMO_LAST_MONTH = date(2026, 10, 1)
DEMO_DATABASE = Path("demo.db")


def demo_months(count: int) -> list[str]:
    """The `count` months ending with October 2026, oldest first."""
    months: list[str] = []
    year, month = DEMO_LAST_MONTH.year, DEMO_LAST_MONTH.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Reports folder (default: the configured reports folder, reports/).",
)
@click.option(
    "--database",
    "database_url",
    help="SQLAlchemy URL (default: SLAENGINE_DATABASE_URL if set, else a fresh ./demo.db).",
)
@click.option(
    "--months",
    type=click.IntRange(1, 10),
    default=5,
    show_default=True,
    help="How many months of feeds, ending October 2026 (the contracts start in January).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the generator.")
@click.option(
    "--locale",
    type=click.Choice(["fr_FR", "en_GB"]),
    help="Language and formats of the reports (default: config.toml [reports] locale).",
)
@click.option(
    "--into-existing",
    is_flag=True,
    help="Add the demo's contracts and feeds to a database that already holds contracts"
    " (refused without it: the demo would mix its example data with yours).",
)
@click.pass_obj
def demo(
    app: AppContext,
    out: Path | None,
    database_url: str | None,
    months: int,
    seed: int,
    locale: str | None,
    into_existing: bool,
) -> None:
    """Run the whole cycle offline on generated example feeds and write every report.

    Loads contracts/, generates seeded feeds for 2026-06..2026-10 (fewer with --months),
    ingests them, evaluates every contract month by month as of 2026-11-02 08:00 Paris,
    then writes the scorecards, the portfolio, the audit reports and the benchmark.
    """
    from rich.console import Console

    from slaengine.i18n import activate, deactivate

    progress = Console(stderr=True)
    settings = app.settings  # read first: reading them activates the configured locale
    reports_dir = out or settings.reports_dir
    token = activate(locale) if locale is not None else None
    engine = _demo_engine(database_url, progress, into_existing=into_existing)
    try:
        _run_cycle(engine, app, reports_dir, demo_months(months), seed, progress)
    finally:
        engine.dispose()
        if token is not None:
            deactivate(token)
    if database_url is None and "SLAENGINE_DATABASE_URL" not in os.environ:
        click.echo(next_steps(DEMO_DATABASE.resolve()), err=True)


def next_steps(database: Path) -> str:
    """What to type after the demo: the shell lines that make the demo's database the CLI's."""
    return (
        "\nExplore the demo's data with the CLI (copy these lines):\n"
        "  . .venv/bin/activate\n"
        f"  export SLAENGINE_DATABASE_URL=sqlite:///{database}\n"
        "  slaengine evaluate acme-l1 --period 2026-10"
    )


def _run_cycle(
    engine: Engine,
    app: AppContext,
    reports_dir: Path,
    months: Sequence[str],
    seed: int,
    progress: Console,
) -> None:
    from rich.console import Console

    from slaengine.cli.benchmark import benchmark_table
    from slaengine.demo.generate import generate_feeds

    results = Console(width=max(Console().width, 120))
    with _step(progress, "checking and loading contracts"):
        contracts, loaded = load_demo_contracts(engine, app.settings.contracts_dir)
    for line in loaded:
        results.print(f"contract {visible(line)}", highlight=False, markup=False)
    with _step(progress, f"generating feeds for {months[0]}..{months[-1]} (seed {seed})"):
        feeds_dir = reports_dir / "demo-feeds"
        files = generate_feeds(feeds_dir, contracts, months, seed=seed, as_of=DEMO_AS_OF)
    results.print(_ingest_all(engine, files, progress))
    evaluations = _evaluate_all(engine, contracts, months, progress)
    results.print(evaluation_table(evaluations, months[-1]))
    contracts_dir = app.settings.contracts_dir
    benchmarks = _benchmark_all(engine, contracts, months[-1], contracts_dir, progress)
    for result in benchmarks:
        results.print(benchmark_table(result))
    writers = _report_writers(engine, contracts, months[-1], reports_dir, contracts_dir, benchmarks)
    for path in _write_reports(writers, progress):
        click.echo(visible(path))


# --- steps ---------------------------------------------------------------------------------


@contextmanager
def _step(console: Console, what: str) -> Iterator[None]:
    with console.status(what):
        yield
    console.print(f"[green]done[/green] {safe(what)}")


def _demo_engine(database_url: str | None, progress: Console, *, into_existing: bool) -> Engine:
    """The demo's database: --database, else SLAENGINE_DATABASE_URL, else a fresh ./demo.db.

    Raises DemoRefused when the database already holds contracts and `into_existing` is false.
    """
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import list_contracts

    url = database_url or os.environ.get("SLAENGINE_DATABASE_URL")
    fresh = url is None
    if url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{DEMO_DATABASE}"
    progress.print(f"database: {visible(url.split('@')[-1])}", highlight=False, markup=False)
    engine = make_engine(url)
    if fresh:  # the former demo.db's contacts (demo.data/) went with it
        from slaengine.adapters.columnar.guard import remove_store_of_remade_catalogue

        remove_store_of_remade_catalogue(engine)
    create_schema(engine)
    held = sorted({stored.contract.id for stored in list_contracts(engine)})
    if held and not into_existing:
        engine.dispose()
        shown = ", ".join(held[:5]) + (", …" if len(held) > 5 else "")
        raise DemoRefused(
            f"the database {url.split('@')[-1]} already holds {len(held)} contract(s) ({shown}):"
            " the demo would add its example contracts and feeds to them. Run it on its own"
            " database (without --database and SLAENGINE_DATABASE_URL it uses a fresh ./demo.db)"
            " or pass --into-existing; nothing was changed"
        )
    return engine


def load_demo_contracts(engine: Engine, contracts_dir: Path) -> tuple[list[Contract], list[str]]:
    """Check and store every contract of the folder: the versions in force in October 2026
    (sorted by id), and one line per file loaded."""
    from slaengine.services.contracts import contract_in_force, load_contracts

    outcomes = load_contracts(engine, [contracts_dir])
    lines = [f"{o.status}: {o.contract_id} version {o.version} ({o.path})" for o in outcomes]
    in_force: list[Contract] = []
    for contract_id in sorted({outcome.contract_id for outcome in outcomes}):
        try:
            in_force.append(contract_in_force(engine, contract_id, DEMO_LAST_MONTH).contract)
        except ContractNotFound:
            lines.append(f"skipped: {contract_id} is not in force in October 2026")
    if not in_force:
        raise ContractNotFound(f"{contracts_dir}: no contract is in force in October 2026")
    return in_force, lines


def _ingest_all(engine: Engine, files: Sequence[GeneratedFile], progress: Console) -> Table:
    from rich.table import Table

    from slaengine.services.feeds import ingest_feed

    table = Table(title="Feeds ingested", title_justify="left")
    for column in ("contract", "kind", "month", "rows", "stored", "quarantined", "reasons"):
        table.add_column(
            column, justify="right" if column in ("rows", "stored", "quarantined") else "left"
        )
    for file in _tracked(progress, files, "ingesting feeds"):
        report = ingest_feed(
            engine,
            file.contract_id,
            file.kind,
            file.path,
            source=f"demo:{file.contract_id}/{file.path.name}",
            received_at=received_at(file.month),
        )
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(dict(report.reasons).items()))
        if report.unchanged:
            reasons = "already stored (same bytes)"
        table.add_row(
            safe(file.contract_id),
            safe(file.kind),
            safe(file.month),
            str(report.rows),
            str(report.stored),
            str(report.quarantined),
            safe(reasons),
        )
    return table


def received_at(month: str) -> datetime:
    """When the demo pretends a month's feeds arrived: the 2nd of the next month, 07:00 Paris.

    Fixed (not now) so that two demo runs store the same inputs and write the same reports.
    """
    year, number = (int(part) for part in month.split("-"))
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 2, 7, tzinfo=DEMO_AS_OF.tzinfo)


def _evaluate_all(
    engine: Engine, contracts: Sequence[Contract], months: Sequence[str], progress: Console
) -> list[Any]:
    from slaengine.services.evaluation import evaluate_period

    jobs = [(month, contract.id) for month in months for contract in contracts]
    return [
        evaluate_period(engine, contract_id, month, as_of=DEMO_AS_OF)
        for month, contract_id in _tracked(progress, jobs, "evaluating")
    ]


def evaluation_table(evaluations: Sequence[Any], month: str) -> Table:
    """One row per objective of the month: status, figure, target, credit."""
    from rich.table import Table

    table = Table(
        title=f"Evaluation {month} (as of {DEMO_AS_OF.isoformat()})", title_justify="left"
    )
    for column in ("contract", "objective", "status", "value", "target", "n/d", "credit"):
        table.add_column(column)
    for evaluation in evaluations:
        if evaluation.period != month:
            continue
        for result in evaluation.objectives:
            table.add_row(
                safe(evaluation.contract_id),
                safe(result.objective_id),
                _status(result.status),
                safe(_value(result.kpi, result.value)),
                safe(result.target or ""),
                f"{result.numerator}/{result.denominator}" if result.denominator else "",
                str(result.credit) if result.credit else "",
            )
        credits = evaluation.credits
        table.add_row(
            safe(evaluation.contract_id),
            "[b]credits[/b]",
            "",
            "",
            "",
            "",
            safe(f"{credits.total} {credits.currency}"),
            end_section=True,
        )
    return table


_STATUS_STYLE = {
    "met": "[green]✓ met[/green]",
    "breached": "[red]✗ breached[/red]",
    "not_determined": "[yellow]? not determined[/yellow]",
    "excused": "[blue]– excused[/blue]",
}


def _status(status: str) -> str:
    return _STATUS_STYLE.get(status, status)


def _value(kpi: str, value: float | None) -> str:
    from slaengine.domain.contract.model import FRACTION_KPIS, SECONDS_KPIS

    if value is None:
        return "n/a"
    if kpi in FRACTION_KPIS:
        return f"{100 * value:.1f}%"
    if kpi in SECONDS_KPIS:
        return f"{value:.1f} s"
    return f"{value:.1f}"


def _benchmark_all(
    engine: Engine,
    contracts: Sequence[Contract],
    month: str,
    contracts_dir: Path,
    progress: Console,
) -> list[Any]:
    from slaengine.services.benchmark import load_benchmark_spec, run_benchmark

    activities = sorted({contract.activity for contract in contracts})
    with _step(progress, f"benchmarking {', '.join(activities)}"):
        return [
            run_benchmark(
                engine,
                activity,
                month,
                as_of=DEMO_AS_OF,
                benchmark_spec=load_benchmark_spec(contracts_dir, activity),
            )
            for activity in activities
        ]


def _write_reports(writers: Sequence[Callable[[], Path]], progress: Console) -> list[Path]:
    """Run every report writer; the paths in the order written."""
    return [writer() for writer in _tracked(progress, writers, "writing reports")]


def _report_writers(
    engine: Engine,
    contracts: Sequence[Contract],
    month: str,
    reports_dir: Path,
    contracts_dir: Path,
    benchmarks: Sequence[Any],
) -> list[Callable[[], Path]]:
    """Scorecards (with CSV twins), the portfolio, audit reports, then one benchmark each."""
    from slaengine.services import reports

    both: dict[str, Any] = {"as_of": DEMO_AS_OF, "contracts_dir": contracts_dir}
    ids = [contract.id for contract in contracts]
    activities = [result.activity for result in benchmarks]
    return [
        *(
            partial(reports.write_scorecard, engine, i, month, reports_dir, csv=True, **both)
            for i in ids
        ),
        partial(reports.write_portfolio, engine, month, reports_dir, **both),
        *(
            partial(reports.write_audit, engine, i, month, reports_dir, as_of=DEMO_AS_OF)
            for i in ids
        ),
        *(
            partial(reports.write_benchmark, engine, a, month, reports_dir, **both)
            for a in activities
        ),
    ]


def _tracked(console: Console, items: Sequence[Any], what: str) -> Iterator[Any]:
    from rich.progress import Progress

    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(what, total=len(items))
        for item in items:
            yield item
            bar.advance(task)
    console.print(f"[green]done[/green] {what} ({len(items)})")
