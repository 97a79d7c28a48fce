"""Use cases on contracts: check files, load them into storage, find the version in force."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from slaengine.adapters.storage.contract_tables import ContractVersionRow
from slaengine.domain.contract.model import BenchmarkSpec, Contract
from slaengine.domain.contract.rules import find_version_conflicts, ranges_overlap
from slaengine.errors import ContractConflict, ContractInvalid, ContractNotFound

if TYPE_CHECKING:  # the YAML reader: imported by the commands that read contract files only
    from slaengine.adapters.yaml.contract import SpecFile


@dataclass(frozen=True)
class StoredContract:
    """A contract version as stored: the spec, its file's sha256, path and text."""

    contract: Contract
    file_hash: str
    source_path: str
    raw_text: str
    loaded_at: datetime


@dataclass(frozen=True)
class CheckReport:
    """What `contract check` found: valid files and every problem as FILE:LINE:COL."""

    files: list[Path]
    contracts: list[SpecFile] = field(default_factory=list)
    benchmarks: list[SpecFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class LoadOutcome:
    contract_id: str
    version: int
    path: Path
    status: Literal["stored", "unchanged"]


def check_contracts(paths: Sequence[Path]) -> CheckReport:
    """Validate files and folders; never raises for a contract problem (they are listed)."""
    from slaengine.adapters.yaml.contract import discover, load_spec_file

    files = discover(paths)
    report = CheckReport(files=files)
    if not files:
        report.problems.append(
            f"{', '.join(str(p) for p in paths) or '.'}:1:1: no contract files (*.yaml) found"
        )
    for path in files:
        try:
            spec_file = load_spec_file(path)
        except ContractInvalid as error:
            report.problems.extend(error.problems)
            continue
        target = (
            report.benchmarks if isinstance(spec_file.spec, BenchmarkSpec) else report.contracts
        )
        target.append(spec_file)
    report.problems.extend(_version_conflicts(report.contracts))
    return report


def _version_conflicts(files: list[SpecFile]) -> list[str]:
    from slaengine.adapters.yaml.contract import format_problem, parse_document

    labelled = [(str(f.path), f.spec) for f in files if isinstance(f.spec, Contract)]
    by_label = {str(f.path): f for f in files}
    problems: list[str] = []
    for label, problem in find_version_conflicts(labelled):
        document = parse_document(Path(label), by_label[label].text)
        problems.append(format_problem(Path(label), document, problem)[2])
    return problems


def load_contracts(engine: Engine, paths: Sequence[Path]) -> list[LoadOutcome]:
    """Validate every file, then store them all or nothing.

    Raises ContractInvalid (problems in files), ContractConflict (same id and version with
    other content, or effective dates overlapping a stored version).
    """
    report = check_contracts(paths)
    if report.problems:
        raise ContractInvalid(report.problems)
    outcomes: list[LoadOutcome] = []
    now = datetime.now(UTC)
    with Session(engine) as session:
        for spec_file in report.contracts:
            outcomes.append(_store_one(session, spec_file, now))
        try:
            session.commit()
        except IntegrityError:
            raise ContractConflict(
                "another process stored one of these contract versions at the same time;"
                " nothing was stored from this run: run `slaengine contract load` again"
            ) from None
    return outcomes


def _store_one(session: Session, spec_file: SpecFile, now: datetime) -> LoadOutcome:
    contract = spec_file.spec
    assert isinstance(contract, Contract)
    rows = session.exec(
        select(ContractVersionRow).where(ContractVersionRow.contract_id == contract.id)
    ).all()
    for row in rows:
        if row.version == contract.version:
            if row.file_hash == spec_file.sha256:
                return LoadOutcome(contract.id, contract.version, spec_file.path, "unchanged")
            raise ContractConflict(
                f"{spec_file.path}: contract {contract.id} version {contract.version} is already"
                f" stored from {row.source_path} with different content (sha256"
                f" {row.file_hash[:12]}…); stored versions are never rewritten: give the"
                " changed contract a new version number and effective dates"
            )
        stored = _to_contract(row)
        if ranges_overlap(stored, contract):
            raise ContractConflict(
                f"{spec_file.path}: effective dates of {contract.id} version {contract.version}"
                f" ({_range(contract)}) overlap stored version {row.version} ({_range(stored)}):"
                " end one version before the next begins"
            )
    session.add(_to_row(spec_file, contract, now))
    return LoadOutcome(contract.id, contract.version, spec_file.path, "stored")


def _range(contract: Contract) -> str:
    return f"{contract.effective.start} to {contract.effective.end or 'open end'}"


def _to_row(spec_file: SpecFile, contract: Contract, now: datetime) -> ContractVersionRow:
    return ContractVersionRow(
        contract_id=contract.id,
        version=contract.version,
        provider_id=contract.provider.id,
        activity=contract.activity,
        sourcing=contract.provider.sourcing,
        effective_from=contract.effective.start,
        effective_to=contract.effective.end,
        file_hash=spec_file.sha256,
        source_path=str(spec_file.path),
        raw_text=spec_file.text,
        spec_json=json.dumps(contract.to_document(), sort_keys=True),
        loaded_at=now,
    )


def _to_contract(row: ContractVersionRow) -> Contract:
    return _validated(row.spec_json)


@lru_cache(maxsize=256)
def _validated(spec_json: str) -> Contract:
    """A stored specification validated once per process: a run looks the version in force up
    for every month of a history (a frozen model, the same for the same stored text)."""
    return Contract.model_validate(json.loads(spec_json))


def _to_stored(row: ContractVersionRow) -> StoredContract:
    loaded_at = row.loaded_at if row.loaded_at.tzinfo else row.loaded_at.replace(tzinfo=UTC)
    return StoredContract(
        contract=_to_contract(row),
        file_hash=row.file_hash,
        source_path=row.source_path,
        raw_text=row.raw_text,
        loaded_at=loaded_at,
    )


def list_contracts(
    engine: Engine, *, contract_id: str | None = None, activity: str | None = None
) -> list[StoredContract]:
    """Every stored version (of one contract, or serving one activity: filtered in SQL, so a
    look-up reads and validates only those), sorted by contract id then version."""
    query = select(ContractVersionRow)
    if contract_id is not None:
        query = query.where(col(ContractVersionRow.contract_id) == contract_id)
    if activity is not None:
        query = query.where(col(ContractVersionRow.activity) == activity)
    order = (col(ContractVersionRow.contract_id), col(ContractVersionRow.version))
    with Session(engine) as session:
        rows = session.exec(query.order_by(*order)).all()
        return [_to_stored(row) for row in rows]


def contract_versions(engine: Engine, contract_id: str) -> list[StoredContract]:
    """The stored versions of one contract (possibly none), oldest first."""
    return list_contracts(engine, contract_id=contract_id)


def latest_contract(engine: Engine, contract_id: str) -> StoredContract:
    """The highest stored version; raises ContractNotFound naming the known contracts."""
    versions = contract_versions(engine, contract_id)
    if not versions:
        raise ContractNotFound(_not_found(engine, contract_id))
    return versions[-1]


def _not_found(engine: Engine, contract_id: str) -> str:
    known = sorted({s.contract.id for s in list_contracts(engine)})
    listing = ", ".join(known) if known else "none (load some with `slaengine contract load`)"
    return f"no contract {contract_id!r} is stored; stored contracts: {listing}"


def contract_in_force(engine: Engine, contract_id: str, day: date) -> StoredContract:
    """The version whose effective range covers `day` (a local date of the contract)."""
    versions = contract_versions(engine, contract_id)
    if not versions:
        raise ContractNotFound(_not_found(engine, contract_id))
    for stored in versions:
        if stored.contract.effective.covers(day):
            return stored
    ranges = "; ".join(f"version {s.contract.version}: {_range(s.contract)}" for s in versions)
    raise ContractNotFound(f"no version of {contract_id} is in force on {day} ({ranges})")


def contracts_for_activity(engine: Engine, activity: str, day: date) -> list[StoredContract]:
    """The versions in force on `day` of every contract serving `activity`."""
    return [
        stored
        for stored in list_contracts(engine, activity=activity)
        if stored.contract.activity == activity and stored.contract.effective.covers(day)
    ]


def contracts_in_force(engine: Engine, period: str) -> list[Contract]:
    """The latest version of every contract in force at some point of `period` (YYYY-MM),
    sorted by id."""
    from slaengine.domain.reports.text import period_days

    first, last = period_days(period)
    found: dict[str, Contract] = {}
    for item in list_contracts(engine):
        contract = item.contract
        effective = contract.effective
        if effective.start <= last and (effective.end is None or effective.end >= first):
            known = found.get(contract.id)
            if known is None or known.version < contract.version:
                found[contract.id] = contract
    return [found[key] for key in sorted(found)]
