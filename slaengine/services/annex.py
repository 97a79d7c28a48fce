"""Use case: the service-level schedule of a contract (SPEC section 6, `contract annex`).

The contract is a file (a draft works without being stored) or `ID@VERSION` / `ID` of a stored
version; the schedule carries the sha256 of the very file's bytes the engine evaluates (the
stored file's hash for a stored version). Nothing is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from slaengine.domain.contract.model import Contract
from slaengine.errors import ContractNotFound


@dataclass(frozen=True)
class AnnexSource:
    contract: Contract
    sha256: str


def annex_source(reference: str, engine: Callable[[], Engine]) -> AnnexSource:
    """The contract and its file's sha256; ContractInvalid or ContractNotFound."""
    from slaengine.adapters.yaml.contract import load_contract_file
    from slaengine.services.contracts import contract_versions, latest_contract

    path = Path(reference)
    if path.exists() or reference.endswith((".yaml", ".yml")):
        contract = load_contract_file(path)
        return AnnexSource(contract, hashlib.sha256(path.read_bytes()).hexdigest())
    contract_id, _sep, version = reference.partition("@")
    if not version:
        stored = latest_contract(engine(), contract_id)
        return AnnexSource(stored.contract, stored.file_hash)
    if not version.isdigit():
        raise ContractNotFound(
            f"expected a contract file, ID or ID@VERSION such as acme-l1@2, found {reference!r}"
        )
    versions = contract_versions(engine(), contract_id)
    for stored in versions:
        if stored.contract.version == int(version):
            return AnnexSource(stored.contract, stored.file_hash)
    known = ", ".join(str(s.contract.version) for s in versions) or "none"
    raise ContractNotFound(
        f"no stored version {version} of contract {contract_id!r} (stored versions: {known});"
        " load it with `slaengine contract load` or give a file"
    )


def write_annex(source: AnnexSource, output: Path) -> Path:
    """Build the schedule in the active report language and write its PDF to `output`."""
    from slaengine.adapters.pdf.annex import write_annex_pdf
    from slaengine.domain.reports.annex import build_annex

    return write_annex_pdf(build_annex(source.contract, source.sha256), output)
