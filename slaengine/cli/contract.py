"""`slaengine contract ...`: check, schema, load, list, diff and backtest contracts."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from slaengine.cli.context import AppContext
from slaengine.cli.options import check_period, parse_as_of
from slaengine.cli.safe_text import safe, visible
from slaengine.i18n import SUPPORTED

if TYPE_CHECKING:  # the pydantic models: imported by the commands that read contract files
    from slaengine.domain.contract.model import Contract


@click.group()
def contract() -> None:
    """Check, load and list contract specifications (contracts/*.yaml); diff and backtest them."""


@contract.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Validate contract files or folders; problems on stderr as FILE:LINE:COL: message."""
    from slaengine.domain.contract.model import Contract
    from slaengine.services.contracts import check_contracts

    report = check_contracts(list(paths))
    for problem in report.problems:
        click.echo(visible(problem), err=True)
    for spec_file in report.contracts:
        spec = spec_file.spec
        assert isinstance(spec, Contract)
        click.echo(visible(f"ok  {spec_file.path}  {spec.id} version {spec.version}"))
    for spec_file in report.benchmarks:
        click.echo(visible(f"ok  {spec_file.path}  benchmark of {spec_file.spec.activity}"))
    if report.problems:
        files = {problem.split(":", 1)[0] for problem in report.problems}  # only files with one
        click.echo(f"{len(report.problems)} problem(s) in {len(files)} file(s)", err=True)
        raise SystemExit(1)
    click.echo(
        f"{len(report.files)} file(s) checked: {len(report.contracts)} contract(s),"
        f" {len(report.benchmarks)} benchmark(s), no problems"
    )


def contract_schema() -> dict[str, Any]:
    """The JSON Schema of a contract file, generated from the models."""
    from slaengine.domain.contract.model import Contract

    schema = Contract.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://slaengine.example/schemas/contract-v1.json",
        **schema,
        "title": "slaengine contract (apiVersion slaengine/v1)",
    }


@contract.command()
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of a contract (for editors: yaml-language-server)."""
    text = json.dumps(contract_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(str(output))


@contract.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def load(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Validate and store contracts (default: the contracts folder).

    Loading an identical file again changes nothing.
    """
    from slaengine.services.contracts import load_contracts

    targets = list(paths) or [app.settings.contracts_dir]
    for outcome in load_contracts(app.engine, targets):
        click.echo(
            visible(
                f"{outcome.status:<9} {outcome.contract_id} version {outcome.version}"
                f"  ({outcome.path})"
            )
        )


@contract.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def list_(app: AppContext, as_json: bool) -> None:
    """List the stored contract versions."""
    from slaengine.adapters.storage.contract_repo import version_records

    # the stored columns and document, not validated again: the listing imports no model
    stored = version_records(app.reading_engine)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": s.contract_id,
                        "version": s.version,
                        "provider": s.provider_id,
                        "sourcing": s.sourcing,
                        "activity": s.activity,
                        "effective_from": s.effective_from.isoformat(),
                        "effective_to": s.effective_to.isoformat() if s.effective_to else None,
                        "sha256": s.file_hash,
                        "source": s.source_path,
                    }
                    for s in stored
                ],
                indent=2,
            )
        )
        return
    table = Table("contract", "version", "provider", "sourcing", "activity", "effective", "sha256")
    for s in stored:
        table.add_row(
            safe(s.contract_id),
            str(s.version),
            safe(s.provider_name),
            safe(s.sourcing),
            safe(s.activity),
            f"{s.effective_from} → {s.effective_to or '…'}",
            safe(s.file_hash[:12]),
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # piped or captured: no squeezed, wrapped columns
    console.print(table)
    if not stored:
        click.echo("no contracts stored: run `slaengine contract load`", err=True)


locale_option = click.option(
    "--locale",
    type=click.Choice(SUPPORTED),
    help="Language and formats of the words (default: [reports] locale).",
)


def _language(app: AppContext, locale: str | None) -> AbstractContextManager[object]:
    """`--locale` when given, else `[reports] locale` (reading the settings activates it)."""
    from slaengine.i18n import using

    app.settings  # noqa: B018 - reading the settings activates their locale, first
    return nullcontext() if locale is None else using(locale)


def _resolve(app: AppContext, reference: str) -> Contract:
    """A contract file, or `ID@VERSION` of a stored version."""
    from slaengine.services.backtest import contract_from_reference

    return contract_from_reference(reference, lambda: app.engine)


@contract.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines of text.")
@locale_option
@click.pass_obj
def diff(app: AppContext, old: str, new: str, as_json: bool, locale: str | None) -> None:
    """What changed from OLD to NEW, each a contract file or ID@VERSION of a stored version.

    One line per change, in words of the report language ([reports] locale, or --locale), with
    the side it favours where that is clear. --json is language-free.
    """
    from slaengine.domain.procurement.diff import changes_json, diff_contracts
    from slaengine.domain.reports.diff_words import diff_lines

    before, after = _resolve(app, old), _resolve(app, new)
    changes = diff_contracts(before, after)
    if as_json:
        click.echo(json.dumps(changes_json(before, after, changes), indent=2, ensure_ascii=False))
        return
    with _language(app, locale):
        for line in diff_lines(before, after, changes):
            click.echo(visible(line))


@contract.command()
@click.argument("draft_path", metavar="DRAFT.yaml", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "first",
    required=True,
    callback=check_period,
    metavar="YYYY-MM",
    help="First month of the range.",
)
@click.option(
    "--to",
    "last",
    required=True,
    callback=check_period,
    metavar="YYYY-MM",
    help="Last month of the range (included).",
)
@click.option(
    "--against",
    metavar="ID",
    help="The stored contract whose feeds and results to use (default: the draft's id).",
)
@click.option(
    "--as-of",
    "as_of",
    callback=parse_as_of,
    help="Evaluate as of this instant (ISO 8601 with offset; default now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print SPEC's JSON object.")
@click.option("--pdf", "pdf", is_flag=True, help="Also write the comparison as a PDF report.")
@click.pass_obj
def backtest(
    app: AppContext,
    draft_path: Path,
    first: str,
    last: str,
    against: str | None,
    as_of: datetime,
    as_json: bool,
    pdf: bool,
) -> None:
    """Evaluate a draft contract on the stored feeds of past months, storing nothing.

    Beside each month: the contract in force, under the same rule as of the same instant
    (--as-of, default now): final where the month is settled by then, else provisional (marked
    *). Months where a status flips are marked; totals of credits and incentives over the range.
    """
    from rich.progress import Progress

    from slaengine.adapters.yaml.contract import load_contract_file
    from slaengine.services.backtest import backtest as run_backtest
    from slaengine.services.backtest import backtest_to_json, months_between

    draft = load_contract_file(draft_path)
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        months = len(months_between(first, last))
        task = bar.add_task("evaluating the draft month by month", total=months)
        result = run_backtest(
            app.engine, draft, first, last, as_of=as_of, against=against,
            on_month=lambda period: bar.advance(task),
        )  # fmt: skip
    if pdf:
        from slaengine.adapters.pdf.backtest import write_backtest_pdf

        path = write_backtest_pdf(result, app.settings.reports_dir)
        click.echo(visible(f"wrote {path}"), err=as_json)
    if as_json:
        click.echo(json.dumps(backtest_to_json(result, draft_path), indent=2))
        return
    _print_backtest(result)


def _print_backtest(result: Any) -> None:
    from slaengine.services.backtest import totals_json

    table = Table(
        "month",
        "objective",
        "in force",
        "draft",
        "",
        title=safe(
            f"Backtest of {result.draft.id} version {result.draft.version}"
            f" on the feeds of {result.against}, both sides as of {result.as_of.isoformat()}"
        ),
        title_justify="left",
    )
    for month in result.months:
        in_force = {r.objective_id: r for r in month.in_force.objectives} if month.in_force else {}
        flipped = {flip.objective_id for flip in month.flips}
        shown = month.period + ("*" if month.lifecycle == "provisional" else "")
        for r in month.draft.objectives:
            old = in_force.get(r.objective_id)
            table.add_row(
                shown,
                safe(r.objective_id),
                safe(_figure(old)) if old else "-",
                safe(_figure(r)),
                "FLIP" if r.objective_id in flipped else "",
            )
        table.add_row(
            shown,
            "credits / incentives",
            _money_pair(month.in_force),
            _money_pair(month.draft),
            "",
            end_section=True,
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table)
    for side, totals in (("in force", result.in_force_totals), ("draft", result.draft_totals)):
        figures = totals_json(totals)
        click.echo(
            f"total {side}: credits {figures['credits']}, earned back {figures['earned_back']},"
            f" incentives {figures['incentives']}, net for the provider {figures['net_position']}"
        )
    flips = [m.period for m in result.months if m.flips]
    click.echo(f"months where a status flips: {', '.join(flips) if flips else 'none'}")
    provisional = result.provisional_months
    if provisional:
        click.echo(
            f"* provisional as of {result.as_of.isoformat()} on both sides (not settled by then):"
            f" {', '.join(provisional)}; every other month is final on both sides"
        )
    else:
        click.echo(f"every month is final on both sides (settled by {result.as_of.isoformat()})")


def _figure(result: Any) -> str:
    from slaengine.domain.contract.model import FRACTION_KPIS

    if result.value is None:
        return str(result.status)
    value = result.value
    shown = f"{value * 100:.2f}%" if result.kpi in FRACTION_KPIS else f"{value:.2f}"
    return f"{result.status} {shown}"


def _money_pair(evaluation: Any) -> str:
    if evaluation is None:
        return "-"
    incentives = evaluation.incentives.total if evaluation.incentives else "0.00"
    return f"{evaluation.credits.total} / {incentives}"


@contract.command()
@click.argument("reference", metavar="CONTRACT[@VERSION]|FILE")
@locale_option
@click.option(
    "--output", "-o", type=click.Path(path_type=Path),
    help="Write the PDF here (default: REPORTS/annex-ID-vVERSION-LOCALE.pdf).",
)  # fmt: skip
@click.pass_obj
def annex(app: AppContext, reference: str, locale: str | None, output: Path | None) -> None:
    """Write the contract's service-level schedule as a PDF for signature; prints its path.

    In words a provider's lawyer reads (--locale, default [reports] locale): every objective,
    credits with a worked example, incentives, exclusions and relief, chronic failure, the
    client's obligations and the data annex, with the contract file's sha256 on every page.
    A draft file works without being stored.
    """
    from slaengine.i18n import current
    from slaengine.services.annex import annex_source, write_annex

    source = annex_source(reference, lambda: app.engine)
    with _language(app, locale):
        code = current().code
        target = output or app.settings.reports_dir / (
            f"annex-{source.contract.id}-v{source.contract.version}-{code}.pdf"
        )
        click.echo(str(write_annex(source, target)))
