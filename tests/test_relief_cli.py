"""The whole life of a relief request through the command line, on every storage backend.

October 2026 of `shop` (phone service level 20 s, target 80 %, credit 50.00 when breached):
5 October 10:00 local: 10 calls answered in 20 s and 10 in 21 s on queue `default`, 10 in
21 s on queue `vip`; 22 October: 20 calls in 20 s. Month: 30 / 50 = 60 % (breached).
Relief of the `vip` queue on 5 October 09:00-11:00 removes 10 late calls: 30 / 40 = 75 %;
the same interval as a contract `exclusions.events` entry gives the same figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import relief_repo
from slaengine.cli import main

CONTRACT = """\
apiVersion: slaengine/v1
kind: Contract
id: {id}
version: 1
title: Shop support
provider: {{id: {provider}, name: CallCo {provider}, sourcing: outsourced}}
activity: {id}
effective: {{from: 2026-01-01}}
timezone: Europe/Paris
currency: EUR
objectives:
  - id: phone-sl
    channel: phone
    kpi: service_level
    threshold: 20s
    target: ">= 80%"
    level: critical
credits:
  monthly_fee: 1000.00
  at_risk: 10%
  allocation: {{phone-sl: 50%}}
exclusions:
{exclusions}
"""
RELIEF_RULES = "  relief: {max_hours_per_month: 16}"
EVENT = """\
  events:
    - id: vip-outage
      from: 2026-10-05T09:00:00+02:00
      to: 2026-10-05T11:00:00+02:00
      channels: [phone]
      queues: [vip]
      reason: carrier outage
      approved_by: boss"""
HEADER = (
    "contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds,"
    "resolved_first_contact,csat,nps\n"
)


def calls(prefix: str, day: str, within: int, late: int, queue: str = "default") -> str:
    rows = []
    for number in range(within + late):
        wait = 20 if number < within else 21
        rows.append(
            f"{prefix}{number},phone,{queue},{day}T10:00:00+02:00,{day}T10:00:{wait}+02:00,,60,,,\n"
        )
    return "".join(rows)


OCTOBER = (
    HEADER + calls("a", "2026-10-05", 10, 10) + calls("v", "2026-10-05", 0, 10, "vip")
    + calls("b", "2026-10-22", 20, 0)
)  # fmt: skip


class Cli:
    def __init__(self, url: str, folder: Path, locale: str = "en_GB") -> None:
        self.folder = folder
        self.env = {
            "SLAENGINE_DATABASE_URL": url,
            "SLAENGINE_REPORTS_DIR": str(folder / f"reports-{locale}"),
            "SLAENGINE_CONFIG": str(folder / "config.toml"),
            "SLAENGINE_LOCALE": locale,
            "COLUMNS": "80",
        }
        (folder / "config.toml").write_text("# settings come from the environment\n")
        self.runner = CliRunner(env=self.env)

    def run(self, *arguments: str) -> Result:
        return self.runner.invoke(main, list(arguments))

    def __call__(self, *arguments: str) -> Result:
        result = self.run(*arguments)
        assert result.exit_code == 0, result.output
        return result

    def evaluate(self, contract: str = "shop") -> dict[str, Any]:
        document: dict[str, Any] = json.loads(
            self("evaluate", contract, "--period", "2026-10", "--json").stdout
        )
        return document

    def relief_list(self, *extra: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self("relief", "list", *extra, "--json").stdout)
        return found

    def report(self, kind: str, *extra: str) -> str:
        path = Path(self("report", kind, *extra, "--period", "2026-10").stdout.strip())
        return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def load(cli: Cli, contract_id: str, provider: str, exclusions: str) -> None:
    path = cli.folder / f"{contract_id}.yaml"
    path.write_text(
        CONTRACT.format(id=contract_id, provider=provider, exclusions=exclusions), encoding="utf-8"
    )
    cli("contract", "load", str(path))
    feed = cli.folder / f"{contract_id}.csv"
    feed.write_text(OCTOBER, encoding="utf-8")
    cli("feed", "ingest", contract_id, "contacts", str(feed))


@pytest.fixture
def cli(engine: Engine, database_url: str, tmp_path: Path) -> Cli:
    run = Cli(database_url, tmp_path)
    load(run, "shop", "callco", RELIEF_RULES)
    return run


def phone(document: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in document["objectives"] if item["id"] == "phone-sl")


def figures(document: dict[str, Any]) -> tuple[Any, ...]:
    item = phone(document)
    keys = ("status", "value", "numerator", "denominator", "excluded_contacts", "credit")
    return (*(item[key] for key in keys), document["credits"]["total"])


REQUEST_VIP = (
    "relief", "request", "shop", "--from", "2026-10-05T09:00:00+02:00",
    "--to", "2026-10-05T11:00:00+02:00", "--channels", "phone", "--queues", "vip",
    "--reason", "carrier outage on the client side", "--by", "ops.a",
)  # fmt: skip


def test_a_request_lives_pending_approved_withdrawn_and_the_month_follows(
    cli: Cli, engine: Engine, tmp_path: Path
) -> None:
    before = cli.evaluate()
    assert before["lifecycle"] == "final"
    assert figures(before) == ("breached", 0.6, 30, 50, 0, "50.00", "50.00")
    evidence = tmp_path / "carrier-ticket.txt"
    evidence.write_bytes(b"ticket 4711: trunk down 09:02-10:58\n")
    made = json.loads(cli(*REQUEST_VIP, "--evidence", str(evidence), "--json").stdout)
    assert (made["id"], made["status"], made["hours"]) == (1, "pending", "2.00")
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    assert made["evidence"] == {"sha256": digest, "file_name": "carrier-ticket.txt"}
    copies = list((tmp_path / "data").rglob(digest))
    assert len(copies) == 1 and copies[0].read_bytes() == evidence.read_bytes()

    pending = cli.evaluate()  # a pending request changes nothing
    assert (pending["lifecycle"], pending["stored"]) == ("final", False)
    assert figures(pending) == figures(before)

    own = cli.run("relief", "approve", "1", "--by", "ops.a")
    assert own.exit_code == 1
    assert "made by ops.a: someone else must approve or reject it" in own.output

    cli("relief", "approve", "1", "--by", "boss", "--note", "carrier confirmed")
    approved = cli.evaluate()
    assert (approved["lifecycle"], approved["stored"]) == ("restated", True)
    assert figures(approved) == ("breached", 0.75, 30, 40, 10, "50.00", "50.00")
    # exactly the figures of the same incident written as a contract event
    load(cli, "shop-event", "callco-event", EVENT)
    assert figures(cli.evaluate("shop-event")) == figures(approved)

    second = cli(
        "relief", "request", "shop", "--from", "2026-10-22T09:00:00+02:00", "--to",
        "2026-10-22T11:00:00+02:00", "--channels", "phone", "--reason", "CRM down",
        "--by", "ops.b",
    )  # fmt: skip
    assert "relief request 2 recorded (pending)" in second.output
    cli("relief", "reject", "2", "--by", "boss", "--note", "the provider's own CRM")
    rejected = cli.evaluate()  # a rejected request changes nothing either
    assert (rejected["lifecycle"], rejected["stored"]) == ("restated", False)
    assert figures(rejected) == figures(approved)
    final = cli.run("relief", "approve", "2", "--by", "cfo")
    assert final.exit_code == 1 and "already rejected by boss" in final.output

    cli("relief", "withdraw", "1", "--by", "boss", "--note", "wrong queue: it was default")
    withdrawn = cli.evaluate()
    assert (withdrawn["lifecycle"], withdrawn["stored"]) == ("restated", True)
    assert figures(withdrawn) == figures(before)

    trail = {item["id"]: item for item in cli.relief_list("shop")}
    assert trail[1]["status"] == "withdrawn"
    assert [(s["step"], s["by"], s["note"]) for s in trail[1]["trail"]] == [
        ("approved", "boss", "carrier confirmed"),
        ("withdrawn", "boss", "wrong queue: it was default"),
    ]
    assert trail[2]["status"] == "rejected"
    assert [item["id"] for item in cli.relief_list("--status", "rejected")] == [2]
    # every step is a row of its own, none ever updated
    with engine.connect() as connection:
        steps = connection.execute(relief_repo.STEP.select().order_by("id")).all()
    assert [(row.request_id, row.kind) for row in steps] == [
        (1, "approved"), (2, "rejected"), (1, "withdrawn"),
    ]  # fmt: skip

    cli(*REQUEST_VIP[:-1], "ops.c")  # a third, pending, for the portfolio
    audit = cli.report("audit", "shop")
    assert "Relief requests: the whole trail" in audit
    assert f"carrier-ticket.txt (sha256 {digest})" in audit
    assert "approved by boss" in audit and "carrier confirmed" in audit
    assert "changed input: relief request 1 approved by boss (2026-10-05 09:00 to" in audit
    assert "changed input: relief request 1 no longer excludes contacts (withdrawn)" in audit
    assert "moved: phone-sl 60.0% breached, credit €50.00 → 75.0% breached" in audit
    scorecard = cli.report("scorecard", "shop")
    assert "Relief requests of the month: 0 approved, 1 pending, 1 rejected, 1 withdrawn" in (
        scorecard
    )
    assert "10 contacts would be excluded once approved" in scorecard
    assert "nothing excluded (0 contacts inside)" not in scorecard
    portfolio = cli.report("portfolio")
    assert "Relief requests awaiting a decision: 1 (CallCo callco (shop): 1)" in portfolio
    french = Cli(cli.env["SLAENGINE_DATABASE_URL"], tmp_path, "fr_FR")
    assert "Demandes d'exonération du mois : 0 acceptée, 1 en attente" in french.report(
        "scorecard", "shop"
    )
    assert "retirée par boss" in french.report("audit", "shop")


def backtest_month(cli: Cli, draft: Path) -> dict[str, Any]:
    result = cli("contract", "backtest", str(draft), "--from", "2026-10", "--to", "2026-10",
                 "--as-of", "2026-11-20T00:00:00+01:00", "--json")  # fmt: skip
    [month] = json.loads(result.stdout)["months"]
    assert month["lifecycle"] == "final"
    found: dict[str, Any] = month
    return found


def test_a_backtest_sees_the_month_approved_relief_on_both_sides(cli: Cli) -> None:
    """Relief belongs to the month and the contract id, not to a version: a draft identical to
    the contract in force gives identical figures, with the relief approved or withdrawn."""
    draft = cli.folder / "shop.yaml"  # the very file loaded: the draft is the contract in force
    cli(*REQUEST_VIP)
    cli("relief", "approve", "1", "--by", "boss")
    month = backtest_month(cli, draft)
    assert figures(month["draft"]) == ("breached", 0.75, 30, 40, 10, "50.00", "50.00")
    assert figures(month["in_force"]) == figures(month["draft"])
    assert month["draft"]["objectives"] == month["in_force"]["objectives"]
    assert month["flips"] == []
    assert figures(cli.evaluate()) == figures(month["draft"])
    cli("relief", "withdraw", "1", "--by", "boss", "--note", "wrong queue")
    month = backtest_month(cli, draft)
    assert figures(month["draft"]) == ("breached", 0.6, 30, 50, 0, "50.00", "50.00")
    assert figures(month["in_force"]) == figures(month["draft"])


def test_a_draft_with_a_larger_relief_allowance_says_it_and_keeps_the_month(cli: Cli) -> None:
    """The draft changes only the monthly allowance: the diff of the backtest names it (JSON
    and the French PDF), and the approved relief weighs on both sides alike."""
    cli(*REQUEST_VIP)
    cli("relief", "approve", "1", "--by", "boss")
    text = CONTRACT.format(id="shop", provider="callco", exclusions=RELIEF_RULES)
    draft = cli.folder / "drafts" / "shop-v2.yaml"
    draft.parent.mkdir()
    draft.write_text(text.replace("version: 1", "version: 2").replace("16}", "24}"), "utf-8")
    month = backtest_month(cli, draft)
    assert figures(month["draft"]) == figures(month["in_force"])
    assert figures(month["draft"]) == ("breached", 0.75, 30, 40, 10, "50.00", "50.00")
    changes = json.loads(
        cli("contract", "backtest", str(draft), "--from", "2026-10", "--to", "2026-10",
            "--as-of", "2026-11-20T00:00:00+01:00", "--json").stdout
    )["changes"]  # fmt: skip
    assert [change["text"] for change in changes] == [
        "relief: max hours per month 16 h → 24 h (favours the provider)"
    ]
    french = Cli(cli.env["SLAENGINE_DATABASE_URL"], cli.folder, "fr_FR")
    french("contract", "backtest", str(draft), "--from", "2026-10", "--to", "2026-10",
           "--as-of", "2026-11-20T00:00:00+01:00", "--pdf")  # fmt: skip
    [path] = (cli.folder / "reports-fr_FR").glob("backtest-shop-v2-*.pdf")
    pages = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert "exonérations : plafond mensuel 16 h → 24 h (favorable au prestataire)" in pages


def test_an_approved_request_shows_the_contacts_it_excluded(cli: Cli) -> None:
    cli(*REQUEST_VIP)
    cli("relief", "approve", "1", "--by", "boss")
    scorecard = cli.report("scorecard", "shop")
    assert "Relief requests of the month: 1 approved, 0 pending, 0 rejected" in scorecard
    assert "10 contacts excluded" in scorecard


def test_the_list_is_readable_at_80_columns(cli: Cli) -> None:
    cli(*REQUEST_VIP[:-4], "--reason", "x" * 150 + "\x1b[31m", "--by", "ops.a")
    cli("relief", "approve", "1", "--by", "boss", "--note", "fine")
    output = cli("relief", "list").stdout
    lines = output.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].startswith("#1 shop APPROVED  2026-10-05 09:00-11:00 (Europe/Paris), 2.00 h")
    assert "\x1b" not in output and "\\x1b[31m" in output
    assert any(line.startswith("  approved by boss ") for line in lines)


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (("--from", "2026-10-05T11:00:00+02:00", "--to", "2026-10-05T09:00:00+02:00"), 1,
         "the incident must end after it starts"),
        (("--from", "2026-10-05T09:00:00", "--to", "2026-10-05T11:00:00+02:00"), 2,
         "has no UTC offset"),
        (("--from", "2026-10-01T00:00:00+02:00", "--to", "2026-11-05T00:00:00+01:00"), 1,
         "covers at most 31 days"),
        (("--channels", "chat"), 1, "contract shop has no objective on chat"),
        (("--channels", "fax"), 2, "expected channels among phone, chat"),
        (("--evidence", "/nonexistent/file"), 2, "does not exist"),
    ],
)  # fmt: skip
def test_bad_requests_exit_with_a_message_and_store_nothing(
    cli: Cli, arguments: tuple[str, ...], code: int, message: str
) -> None:
    base = dict(zip(REQUEST_VIP[3::2], REQUEST_VIP[4::2], strict=True))
    for option, value in zip(arguments[::2], arguments[1::2], strict=True):
        base[option] = value
    flat = [item for pair in base.items() for item in pair]
    result = cli.run("relief", "request", "shop", *flat)
    assert result.exit_code == code, result.output
    assert message in result.output and "Traceback" not in result.output
    assert cli.relief_list() == []


def test_an_unknown_contract_or_request_is_an_error(cli: Cli) -> None:
    unknown = cli.run("relief", "request", "nope", *REQUEST_VIP[3:])
    assert unknown.exit_code == 1 and "nope" in unknown.output
    missing = cli.run("relief", "approve", "7", "--by", "boss")
    assert missing.exit_code == 1 and "no relief request 7" in missing.output
    assert cli.run("relief", "reject", "7", "--by", "boss").exit_code == 2  # --note required
    assert cli.relief_list() == []


APPROVE = """
import sys, time
from slaengine.cli import main
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
main(["relief", "approve", sys.argv[2], "--by", sys.argv[3], "--note", sys.argv[3]])
"""


def test_two_processes_approving_one_request_end_with_exactly_one_decision(
    cli: Cli, engine: Engine
) -> None:
    for _ in range(3):
        cli(*REQUEST_VIP[:4], "2026-10-05T09:30:00+02:00", *REQUEST_VIP[5:])
    env = {**os.environ, **cli.env}
    for request_id in ("1", "2", "3"):
        start = time.time() + 2.0  # both processes wait for the same instant, then approve
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", APPROVE, str(start), request_id, who],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for who in ("boss", "cfo")
        ]
        outcomes = []
        for process in processes:
            _out, err = process.communicate(timeout=120)
            outcomes.append((process.returncode, err))
        codes = sorted(code for code, _err in outcomes)
        assert codes == [0, 1], outcomes
        loser = next(err for code, err in outcomes if code == 1)
        assert "was already approved by" in loser and "Traceback" not in loser
    for item in relief_repo.requests(engine):
        assert [step.kind for step in item.steps] == ["approved"]


LIBFAKETIME = next(
    (str(path) for path in sorted(Path("/usr/lib").glob("**/faketime/libfaketimeMT.so.1"))), None
)
DESK = (
    CONTRACT.replace("id: {id}", "id: desk")
    .replace("activity: {id}", "activity: desk")
    .replace("currency: EUR\n", "currency: EUR\ncalendars:\n  office:\n"
             "    weekly: {{mon-fri: [\"09:00-18:00\"]}}\n    holidays: {{country: FR}}\n")
    .format(provider="desk", exclusions="  relief:\n    request_within: 7 business days\n"
            "    calendar: office\n    max_hours_per_month: 16")
)  # fmt: skip


def at_instant(cli: Cli, instant: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The command line as a real process whose clock libfaketime sets to `instant` (UTC)."""
    assert LIBFAKETIME is not None
    env = {**os.environ, **cli.env, "TZ": "UTC", "LD_PRELOAD": LIBFAKETIME,
           "FAKETIME": f"@{instant}", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}  # fmt: skip
    command = [str(Path(sys.executable).with_name("slaengine")), *arguments]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(LIBFAKETIME is None, reason="needs libfaketime (Debian package faketime)")
def test_the_deadline_and_the_allowance_refuse_with_their_figures(cli: Cli, tmp_path: Path) -> None:
    """7 business days from Friday 27 March 2026 14:00 (Paris): the weekend of the DST change,
    Easter Monday 6 April closed: until Thursday 9 April 00:00 +02:00 (8 April 22:00 UTC)."""
    path = tmp_path / "desk.yaml"
    path.write_text(DESK, encoding="utf-8")
    cli("contract", "load", str(path))
    ask = (
        "relief", "request", "desk", "--from", "2026-03-27T10:00:00+01:00",
        "--to", "2026-03-27T14:00:00+01:00", "--channels", "phone",
        "--reason", "carrier outage", "--by", "ops.a",
    )  # fmt: skip
    late = at_instant(cli, "2026-04-08 22:30:00", *ask)
    assert late.returncode == 1
    assert late.stderr.strip() == (
        "error: relief request refused: too late: contract desk accepts relief requests within"
        " 7 business days on calendar 'office' after the incident ends (2026-03-27 14:00),"
        " that is until 2026-04-09 00:00 (Europe/Paris); it is 2026-04-09 00:30"
    )
    assert cli.relief_list("desk") == []
    in_time = at_instant(cli, "2026-04-08 21:59:00", *ask)
    assert in_time.returncode == 0, in_time.stderr
    assert in_time.stdout.startswith("relief request 1 recorded (pending): 4.00 hours")
    [made] = cli.relief_list("desk")
    assert made["requested_at"].startswith("2026-04-08T21:59:")
    # the allowance: 4 hours approved, 13 more would make 17 of 16
    assert at_instant(cli, "2026-04-09 08:00:00", "relief", "approve", "1", "--by",
                      "boss").returncode == 0  # fmt: skip
    more = at_instant(
        cli, "2026-04-09 08:00:00", "relief", "request", "desk", "--from",
        "2026-03-30T08:00:00+02:00", "--to", "2026-03-30T21:00:00+02:00", "--channels", "phone",
        "--reason", "CRM down", "--by", "ops.a",
    )  # fmt: skip
    assert more.returncode == 1
    assert more.stderr.strip() == (
        "error: relief request refused: beyond the monthly allowance: contract desk allows 16"
        " hours of approved relief per month; 2026-03 already has 4 hours approved and this"
        " request would bring 13 more (17 hours)"
    )
    assert [item["id"] for item in cli.relief_list("desk")] == [1]
