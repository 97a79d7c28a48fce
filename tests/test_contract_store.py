"""Loading contracts: all or nothing, identical files change nothing, versions chosen by date."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from slaengine.adapters.storage.contract_tables import ContractVersionRow
from slaengine.adapters.yaml.contract import dump_contract, parse_contract_text
from slaengine.cli import main
from slaengine.cli.contract import contract_schema
from slaengine.errors import ContractConflict, ContractInvalid, ContractNotFound
from slaengine.services.contracts import (
    check_contracts,
    contract_in_force,
    contracts_for_activity,
    latest_contract,
    list_contracts,
    load_contracts,
)
from tests.conftest import CONTRACTS, ROOT

ACME = CONTRACTS / "acme-l1.yaml"


def count_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.execute(select(func.count()).select_from(ContractVersionRow)).scalar_one()
        )


def versioned(tmp_path: Path, version: int, start: str, end: str | None, name: str) -> Path:
    text = ACME.read_text(encoding="utf-8").replace("version: 2", f"version: {version}")
    text = text.replace(
        "  from: 2026-01-01\n  to: 2026-12-31",
        f"  from: {start}" + (f"\n  to: {end}" if end else ""),
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loading_the_examples_twice_changes_nothing(engine: Engine) -> None:
    first = load_contracts(engine, [CONTRACTS])
    assert [(o.contract_id, o.status) for o in first] == [
        ("acme-l1", "stored"),
        ("inhouse-l1", "stored"),
        ("nordline-overflow", "stored"),
    ]
    loaded_at = [s.loaded_at for s in list_contracts(engine)]
    second = load_contracts(engine, [CONTRACTS])
    assert {o.status for o in second} == {"unchanged"}
    assert count_rows(engine) == 3
    assert [s.loaded_at for s in list_contracts(engine)] == loaded_at


def test_the_stored_contract_equals_the_file_and_keeps_its_text(engine: Engine) -> None:
    load_contracts(engine, [ACME])
    stored = latest_contract(engine, "acme-l1")
    assert stored.raw_text == ACME.read_text(encoding="utf-8")
    assert stored.contract == parse_contract_text(ACME.read_text(encoding="utf-8"))
    assert len(stored.file_hash) == 64


def test_a_changed_file_with_the_same_version_is_refused_and_nothing_changes(
    engine: Engine, tmp_path: Path
) -> None:
    load_contracts(engine, [ACME])
    changed = tmp_path / "acme.yaml"
    changed.write_text(ACME.read_text(encoding="utf-8").replace("at_risk: 10%", "at_risk: 12%"))
    with pytest.raises(
        ContractConflict, match=r"already stored .* give the changed contract a new version"
    ):
        load_contracts(engine, [changed])
    assert count_rows(engine) == 1
    assert latest_contract(engine, "acme-l1").contract.credits is not None
    assert str(latest_contract(engine, "acme-l1").contract.credits.at_risk) == "10%"  # type: ignore[union-attr]


def test_an_invalid_file_stores_nothing_even_beside_valid_ones(
    engine: Engine, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: slaengine/v1\nkind: Contract\n", encoding="utf-8")
    with pytest.raises(ContractInvalid):
        load_contracts(engine, [ACME, bad])
    assert count_rows(engine) == 0


def test_the_version_in_force_is_chosen_by_date(engine: Engine, tmp_path: Path) -> None:
    v1 = versioned(tmp_path, 1, "2025-01-01", "2025-12-31", "v1.yaml")
    v2 = versioned(tmp_path, 2, "2026-01-01", None, "v2.yaml")
    load_contracts(engine, [v1, v2])
    assert contract_in_force(engine, "acme-l1", date(2025, 12, 31)).contract.version == 1
    assert contract_in_force(engine, "acme-l1", date(2026, 1, 1)).contract.version == 2
    with pytest.raises(ContractNotFound, match="no version of acme-l1 is in force on 2024-06-01"):
        contract_in_force(engine, "acme-l1", date(2024, 6, 1))
    assert [
        s.contract.id for s in contracts_for_activity(engine, "l1-support", date(2025, 6, 1))
    ] == ["acme-l1"]


def test_overlapping_versions_across_files_are_reported_at_the_later_file(tmp_path: Path) -> None:
    v1 = versioned(tmp_path, 1, "2025-01-01", "2026-03-31", "a.yaml")
    v2 = versioned(tmp_path, 2, "2026-01-01", None, "b.yaml")
    report = check_contracts([v1, v2])
    assert report.problems == [
        f"{v2}:13:1: effective dates of acme-l1 version 2 overlap version 1 ({v1}):"
        " end one version before the next begins"
    ]


def test_the_other_file_of_an_overlap_is_named_whole_however_long(tmp_path: Path) -> None:
    """A path past the 80 characters a quoted value is cut at is still shown whole: the person
    needs it to open the other file."""
    folder = tmp_path / ("procurement-contracts-" * 6).rstrip("-")
    folder.mkdir()
    v1 = versioned(folder, 1, "2025-01-01", "2026-03-31", "a.yaml")
    v2 = versioned(folder, 2, "2026-01-01", None, "b.yaml")
    assert len(f"({v1}):") > 100
    report = check_contracts([v1, v2])
    assert report.problems == [
        f"{v2}:13:1: effective dates of acme-l1 version 2 overlap version 1 ({v1}):"
        " end one version before the next begins"
    ]


def test_a_version_overlapping_a_stored_one_is_refused(engine: Engine, tmp_path: Path) -> None:
    load_contracts(engine, [versioned(tmp_path, 1, "2025-01-01", None, "v1.yaml")])
    with pytest.raises(ContractConflict, match="overlap stored version 1"):
        load_contracts(engine, [versioned(tmp_path, 2, "2026-01-01", None, "v2.yaml")])
    assert count_rows(engine) == 1


def test_an_unknown_contract_names_the_known_ones(engine: Engine) -> None:
    load_contracts(engine, [ACME])
    with pytest.raises(
        ContractNotFound, match="no contract 'acme' is stored; stored contracts: acme-l1"
    ):
        latest_contract(engine, "acme")


# --- round trip -----------------------------------------------------------------------------


def test_the_examples_survive_a_round_trip() -> None:
    for path in sorted(CONTRACTS.glob("*.yaml")):
        contract = parse_contract_text(path.read_text(encoding="utf-8"))
        assert parse_contract_text(dump_contract(contract)) == contract


# --- command line -----------------------------------------------------------------------------


def test_contract_check_prints_problems_on_stderr_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        ACME.read_text(encoding="utf-8").replace("kpi: nps", "kpi: npss"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["contract", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:90:10: expected 'service_level'" in result.stderr
    assert "did you mean 'nps'?" in result.stderr


def test_contract_check_accepts_the_examples_folder_through_the_installed_command() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "slaengine"), "contract", "check", "contracts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ok  contracts/acme-l1.yaml  acme-l1 version 2" in result.stdout


def test_contract_schema_is_the_shipped_schema() -> None:
    result = CliRunner().invoke(main, ["contract", "schema"])
    assert result.exit_code == 0
    shipped = json.loads((ROOT / "docs" / "contract.schema.json").read_text(encoding="utf-8"))
    assert json.loads(result.output) == shipped == contract_schema()
    assert "objectives" in shipped["properties"]


def test_contract_load_then_list_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLAENGINE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SLAENGINE_CONFIG", str(ROOT / "config.toml"))
    runner = CliRunner()
    loaded = runner.invoke(main, ["contract", "load"])
    assert loaded.exit_code == 0, loaded.output
    assert "stored    acme-l1 version 2" in loaded.output
    listed = runner.invoke(main, ["contract", "list", "--json"])
    assert [c["id"] for c in json.loads(listed.output)] == [
        "acme-l1",
        "inhouse-l1",
        "nordline-overflow",
    ]


def test_a_version_stored_meanwhile_by_another_process_is_a_conflict(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaengine.services import contracts as service

    if engine.dialect.name == "sqlite":  # tested in tests/test_sqlite_concurrency.py
        pytest.skip("SQLite write transactions hold the write lock from BEGIN: no race")
    original = service._store_one

    def racing(session: Session, spec_file: Any, now: Any) -> Any:
        outcome = original(session, spec_file, now)
        with Session(engine) as other:  # the other process wins the race
            other.add(service._to_row(spec_file, spec_file.spec, now))
            other.commit()
        return outcome

    monkeypatch.setattr(service, "_store_one", racing)
    with pytest.raises(ContractConflict, match="another process stored"):
        load_contracts(engine, [ACME])
    assert count_rows(engine) == 1
