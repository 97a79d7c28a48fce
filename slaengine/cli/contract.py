"""`slaengine contract ...`: check, schema, load and list contract specifications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from slaengine.cli.context import AppContext
from slaengine.domain.contract import Contract


@click.group()
def contract() -> None:
    """Check, load and list contract specifications (contracts/*.yaml)."""


@contract.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Validate contract files or folders; problems on stderr as FILE:LINE:COL: message."""
    from slaengine.services.contracts import check_contracts

    report = check_contracts(list(paths))
    for problem in report.problems:
        click.echo(problem, err=True)
    for spec_file in report.contracts:
        spec = spec_file.spec
        assert isinstance(spec, Contract)
        click.echo(f"ok  {spec_file.path}  {spec.id} version {spec.version}")
    for spec_file in report.benchmarks:
        click.echo(f"ok  {spec_file.path}  benchmark of {spec_file.spec.activity}")
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
            f"{outcome.status:<9} {outcome.contract_id} version {outcome.version}  ({outcome.path})"
        )


@contract.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def list_(app: AppContext, as_json: bool) -> None:
    """List the stored contract versions."""
    from slaengine.services.contracts import list_contracts

    stored = list_contracts(app.engine)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": s.contract.id,
                        "version": s.contract.version,
                        "provider": s.contract.provider.id,
                        "sourcing": s.contract.provider.sourcing,
                        "activity": s.contract.activity,
                        "effective_from": s.contract.effective.start.isoformat(),
                        "effective_to": s.contract.effective.end.isoformat()
                        if s.contract.effective.end
                        else None,
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
        c = s.contract
        table.add_row(
            c.id,
            str(c.version),
            c.provider.name,
            c.provider.sourcing,
            c.activity,
            f"{c.effective.start} → {c.effective.end or '…'}",
            s.file_hash[:12],
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # piped or captured: no squeezed, wrapped columns
    console.print(table)
    if not stored:
        click.echo("no contracts stored: run `slaengine contract load`", err=True)
