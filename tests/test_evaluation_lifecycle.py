"""The evaluation lifecycle end to end through the command line, on every storage backend.

SPEC section 5: a what-if never replaces the month's result; re-evaluating unchanged inputs
stores nothing; two databases built from the same files give the same JSON and the same audit
bytes; a corrected feed gives exactly one restatement that keeps and shows the old figure; and
SPEC section 2's costs rule: rows add up, a later file replaces the month's costs.

The contract `shop` (Europe/Paris) has a 24 h business-clock email objective on mon-fri
09:00-18:00 with French holidays: October 2026 settles on Wednesday 4 November at 15:00
(Saturday 31 October ends the month, Sunday 1 November is All Saints' Day; 9 + 9 + 6 hours).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.storage.evaluation_repo import final_runs, latest_provisional
from slaengine.cli import main
from slaengine.domain.evaluation.settlement import settlement_instant
from slaengine.errors import MonthNotSettled
from slaengine.services.contracts import contract_in_force, load_contracts
from slaengine.services.evaluation import final_evaluation
from slaengine.services.feeds import ingest_feed

CONTRACT = """\
apiVersion: slaengine/v1
kind: Contract
id: shop
version: 1
title: Shop support
provider: {id: callco, name: CallCo, sourcing: outsourced}
activity: shop-support
effective: {from: 2026-01-01}
timezone: Europe/Paris
currency: EUR
calendars:
  office:
    weekly: {mon-fri: ["09:00-18:00"]}
    holidays: {country: FR}
objectives:
  - id: phone-sl
    channel: phone
    kpi: service_level
    threshold: 20s
    target: ">= 80%"
    level: critical
  - id: email-24h
    channel: email
    kpi: response_within
    threshold: 24h
    clock: business
    calendar: office
    target: ">= 50%"
  - id: cost
    kpi: cost_per_contact
    target: "<= 10"
credits:
  monthly_fee: 1000.00
  at_risk: 10%
  allocation: {phone-sl: 50%}
"""
HEADER = (
    "contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds,"
    "resolved_first_contact,csat,nps\n"
)
SETTLES = "2026-11-04T14:00:00+00:00"
WHAT_IF = "2026-10-20T12:00:00+02:00"


def calls(prefix: str, day: str, within: int, late: int, offset: str = "+02:00") -> str:
    """`within` calls answered in 20 s and `late` in 21 s, at 10:00 local on `day`."""
    rows = []
    for number in range(within + late):
        wait = 20 if number < within else 21
        arrived = f"{day}T10:00:00{offset}"
        answered = f"{day}T10:00:{wait}{offset}"
        rows.append(f"{prefix}{number},phone,default,{arrived},{answered},,60,,,\n")
    return "".join(rows)


# 5 October: 15 of 20 calls within 20 s; 22 October: 20 of 20. Month: 35 / 40 = 87.5 % (met);
# as of 20 October only the first day counts: 15 / 20 = 75 % (breached, credit 50.00).
OCTOBER = HEADER + calls("a", "2026-10-05", 15, 5) + calls("b", "2026-10-22", 20, 0)
# the provider corrects ten calls of 22 October: answered in 21 s. Month: 25 / 40 = 62.5 %.
CORRECTION = HEADER + calls("b", "2026-10-22", 0, 10)


class Cli:
    """The command line on one database, with files written into a folder."""

    def __init__(self, url: str, folder: Path, data: Path | None = None) -> None:
        self.folder = folder
        (folder / "config.toml").write_text("# settings come from the environment\n")
        env = {
            "SLAENGINE_DATABASE_URL": url,
            "SLAENGINE_REPORTS_DIR": str(folder / "reports"),
            "SLAENGINE_CONFIG": str(folder / "config.toml"),
            "SLAENGINE_LOCALE": "en_GB",  # the assertions read English reports
        }
        if data is not None:  # a store of its own (one store belongs to one catalogue)
            env["SLAENGINE_DATA_URL"] = str(data)
        self.runner = CliRunner(env=env)

    def __call__(self, *arguments: str) -> Result:
        result = self.runner.invoke(main, list(arguments))
        assert result.exit_code == 0, result.output
        return result

    def file(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def ingest(self, kind: str, path: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(
            self("feed", "ingest", "shop", kind, path, "--json").stdout
        )
        return document

    def ingest_counts(self, kind: str, path: str) -> dict[str, int]:
        """The table `feed ingest` prints: rows, stored, quarantined and restated."""
        output = self("feed", "ingest", "shop", kind, path).stdout
        row = next(line for line in output.splitlines() if re.search(r"\d+\s*│\s*\d+", line))
        numbers = [int(n) for n in re.findall(r"\d+", row)[:4]]
        return dict(zip(("rows", "stored", "quarantined", "restated"), numbers, strict=True))

    def evaluate(self, *extra: str) -> dict[str, Any]:
        result = self("evaluate", "shop", "--period", "2026-10", "--json", *extra)
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def report(self, kind: str, *extra: str) -> Path:
        return Path(self("report", kind, "shop", "--period", "2026-10", *extra).stdout.strip())


@pytest.fixture
def contract_file(tmp_path: Path) -> str:
    path = tmp_path / "shop.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return str(path)


@pytest.fixture
def feed_file(tmp_path: Path) -> str:
    path = tmp_path / "october.csv"
    path.write_text(OCTOBER, encoding="utf-8")
    return str(path)


@pytest.fixture
def cli(engine: Engine, database_url: str, tmp_path: Path, contract_file: str) -> Cli:
    run = Cli(database_url, tmp_path)
    run("contract", "load", contract_file)
    return run


def phone(document: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in document["objectives"] if item["id"] == "phone-sl")


def text_of(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_a_what_if_mid_month_never_becomes_the_scorecard(
    cli: Cli, engine: Engine, feed_file: str
) -> None:
    cli.ingest("contacts", feed_file)
    what_if = cli.evaluate("--as-of", WHAT_IF)
    assert (what_if["lifecycle"], what_if["as_of"], what_if["settles_at"]) == (
        "provisional",
        "2026-10-20T10:00:00+00:00",
        SETTLES,
    )
    assert (what_if["stored"], what_if["month_to_date"]) == (True, True)
    assert (phone(what_if)["value"], phone(what_if)["status"]) == (0.75, "breached")
    assert what_if["credits"]["total"] == "50.00"
    provisional = latest_provisional(engine, "shop", "2026-10")
    assert provisional is not None and provisional.credits.total == 50
    text = text_of(cli.report("scorecard"))  # now: the month is settled
    assert "final result · settled 4 Nov 2026, 15:00 (Europe/Paris)" in text
    assert "provisional" not in text
    assert "87.5%" in text and "75.0%" not in text
    assert "€50.00" not in text and "€0.00" in text
    [final] = final_runs(engine, "shop", "2026-10")
    assert final.evaluation.as_of.isoformat() == SETTLES
    assert final.evaluation.objectives[0].numerator == 35


def test_a_report_before_settlement_is_provisional_on_every_page(
    cli: Cli, engine: Engine, feed_file: str
) -> None:
    cli.ingest("contacts", feed_file)
    path = cli.report("scorecard", "--as-of", "2026-11-02T08:00:00+01:00")
    line = (
        "provisional as of 2 Nov 2026, 08:00 (Europe/Paris) · the month settles"
        " 4 Nov 2026, 15:00 (Europe/Paris)"
    )
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]
    assert len(pages) > 1 and all(line in page for page in pages)
    assert final_runs(engine, "shop", "2026-10") == []


def test_re_evaluating_unchanged_inputs_stores_nothing_and_restates_nothing(
    cli: Cli, engine: Engine, feed_file: str
) -> None:
    cli.ingest("contacts", feed_file)
    first = cli.evaluate("--as-of", "2026-11-10T09:00:00+01:00")
    again = cli.evaluate()  # now, weeks later
    assert (first["lifecycle"], first["stored"], first["as_of"]) == ("final", True, SETTLES)
    assert (again["lifecycle"], again["stored"]) == ("final", False)
    assert {**again, "stored": True} == first
    message = cli("evaluate", "shop", "--period", "2026-10").stdout
    assert "inputs unchanged, nothing new stored" in " ".join(message.split())
    assert len(final_runs(engine, "shop", "2026-10")) == 1
    text = text_of(cli.report("scorecard"))
    assert "Restatements none" in text and "restated" not in text


def build_and_report(url: str, folder: Path, contract_file: str, feed_file: str, now: str) -> Any:
    run = Cli(url, folder, folder / "data")
    run("contract", "load", contract_file)
    run.ingest("contacts", feed_file)
    document = run.evaluate("--as-of", now)
    return document, run.report("audit", "--as-of", now).read_bytes()


def test_two_databases_from_the_same_files_give_the_same_json_and_audit_bytes(
    engine: Engine, database_url: str, tmp_path: Path, contract_file: str, feed_file: str
) -> None:
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other = make_engine(other_url)
    create_schema(other)
    other.dispose()
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    files = (contract_file, feed_file)
    one = build_and_report(database_url, tmp_path / "one", *files, "2026-11-10T09:00:00+01:00")
    two = build_and_report(other_url, tmp_path / "two", *files, "2027-02-01T00:00:00+01:00")
    assert one[0] == two[0]
    assert one[0]["as_of"] == SETTLES and one[0]["lifecycle"] == "final"
    assert one[1] == two[1]
    reader = PdfReader(tmp_path / "one" / "reports" / "audit-shop-2026-10.pdf")
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Evaluated as of 4 Nov 2026, 15:00 (Europe/Paris)" in text
    assert "2026-11-10" not in text


def test_a_corrected_feed_restates_the_month_once_keeping_and_showing_the_old_figure(
    cli: Cli, engine: Engine, feed_file: str
) -> None:
    cli.ingest("contacts", feed_file)
    before = cli.evaluate()
    correction = cli.ingest_counts("contacts", cli.file("corrected.csv", CORRECTION))
    assert (correction["stored"], correction["restated"]) == (10, 10)
    restated = cli.evaluate()
    again = cli.evaluate()
    lifecycles = (before["lifecycle"], restated["lifecycle"], again["lifecycle"])
    assert lifecycles == ("final", "restated", "restated")
    assert (restated["stored"], again["stored"]) == (True, False)
    assert (phone(before)["value"], phone(restated)["value"]) == (0.875, 0.625)
    assert restated["credits"]["total"] == "50.00" and restated["as_of"] == SETTLES
    finals = final_runs(engine, "shop", "2026-10")
    assert [item.evaluation.lifecycle for item in finals] == ["final", "restated"]
    assert finals[0].evaluation.objectives[0].numerator == 35  # the old result is kept
    assert finals[0].superseded_by == finals[1].run_id
    for kind in ("scorecard", "audit"):
        text = text_of(cli.report(kind))
        assert "restated final result · settled 4 Nov 2026, 15:00 (Europe/Paris)" in text
        assert "this final result restates an earlier one" in text
        assert "changed input: contacts file corrected.csv" in text
        assert "moved: phone-sl 87.5% met, credit €0.00 → 62.5% breached, credit €50.00" in text
        assert "moved: credits owed €0.00 → €50.00" in text
        assert text.count("this final result restates an earlier one") == 1


COSTS = """month,channel,amount,currency,kind,description
2026-10,all,200.00,EUR,fee,monthly fee
2026-10,all,100.00,EUR,other,telephony
2026-10,all,50.50,EUR,other,licences
"""
RESTATED_COSTS = """month,channel,amount,currency,kind
2026-10,all,400.00,EUR,fee
"""


def cost(document: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in document["objectives"] if item["id"] == "cost")


def test_cost_rows_add_up_and_a_later_file_replaces_the_month(cli: Cli, feed_file: str) -> None:
    cli.ingest("contacts", feed_file)
    first = cli.ingest("costs", cli.file("costs.csv", COSTS))
    assert (first["rows"], first["stored"], first["quarantined"]) == (3, 3, 0)
    summed = cost(cli.evaluate())
    # 350.50 EUR over 40 answered contacts
    assert (summed["numerator"], summed["denominator"], summed["value"]) == ("350.50", 40, "8.76")
    replacing = cli.ingest_counts("costs", cli.file("costs-restated.csv", RESTATED_COSTS))
    # the fee row and the summed `other` row of October are both replaced: a restatement of 2
    assert replacing == {"rows": 1, "stored": 1, "quarantined": 0, "restated": 2}
    restated = cli.evaluate()
    assert restated["lifecycle"] == "restated"
    assert (cost(restated)["numerator"], cost(restated)["value"]) == ("400.00", "10.00")
    assert cost(restated)["status"] == "met"  # <= 10 is met at equality


# two e-mails arriving on Saturday night while the office is closed: their 24 business hours
# end exactly at the settlement instant; one is answered at that very instant, one never.
EMAILS = (
    HEADER + "e1,email,default,2026-10-31T22:00:00+01:00,2026-11-04T15:00:00+01:00,,60,,,\n"
    "e2,email,default,2026-10-31T23:00:00+01:00,,,,,,\n"
)


def test_the_final_result_counts_deadlines_falling_on_the_settlement_instant(cli: Cli) -> None:
    cli.ingest("contacts", cli.file("emails.csv", EMAILS))
    email = next(item for item in cli.evaluate()["objectives"] if item["id"] == "email-24h")
    assert (email["numerator"], email["denominator"], email["pending_contacts"]) == (1, 2, 0)
    before = cli.evaluate("--as-of", "2026-11-04T14:59:59+01:00")
    email = next(item for item in before["objectives"] if item["id"] == "email-24h")
    assert (before["lifecycle"], email["denominator"], email["pending_contacts"]) == (
        "provisional",
        0,
        2,
    )


def test_final_evaluation_refuses_an_unsettled_month_then_returns_the_stored_final(
    engine: Engine, contract_file: str, feed_file: str
) -> None:
    load_contracts(engine, [Path(contract_file)])
    ingest_feed(engine, "shop", "contacts", Path(feed_file))
    settles = datetime.fromisoformat(SETTLES)
    with pytest.raises(
        MonthNotSettled, match=r"shop 2026-10 is not settled before 2026-11-04 15:00"
    ) as error:
        final_evaluation(engine, "shop", "2026-10", now=settles - timedelta(seconds=1))
    assert error.value.settles_at == settles
    first = final_evaluation(engine, "shop", "2026-10", now=settles)
    second = final_evaluation(engine, "shop", "2026-10", now=settles + timedelta(days=90))
    assert first == second
    assert (first.lifecycle, first.as_of, first.settles_at) == ("final", settles, settles)
    assert len(final_runs(engine, "shop", "2026-10")) == 1
    stored = contract_in_force(engine, "shop", date(2026, 10, 1)).contract
    assert settlement_instant(stored, "2026-10") == settles
