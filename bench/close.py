"""Time the monthly close of many contracts: final evaluations, every PDF, the director's e-mail.

Run: .venv/bin/python bench/close.py [--contracts 50] [--contacts-per-contract 20000]
     [--backends sqlite,postgresql] [--format parquet] [--profile FILE] [--keep DIR]

Set-up (timed apart, "ingest s"): `--contracts` contracts made from the shipped
contracts/*.yaml in turn (acme-l1, inhouse-l1, nordline-overflow), each with its own id and
provider, are loaded into a fresh catalogue (SQLite file; PostgreSQL too when
SLAENGINE_TEST_POSTGRES_URL answers) with a month of contacts each (bench/columnar.py's
synthetic October 2026, 1 row in 100 bad, a seed per contract), daily forecasts (two days per
contract 20% under the real volume, so the volume band excludes them) and the month's costs.

Then, in a fresh process (so its peak RSS is its own), the close that `slaengine run monthly`
runs (`services.close.close_month`) for 2026-10 after settlement: every final evaluation,
scorecard (PDF + CSV), audit report and the portfolio, then one e-mail to a real SMTP server
(aiosmtpd, in this process, on loopback). The split comes from the close's progress phases:
evaluate, reports (scorecards + audits), portfolio (+ building the e-mail), delivery.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import slaengine  # noqa: E402, F401  (before polars, as in a command: it sets polars' allocator)

# isort: split
import polars as pl  # noqa: E402

from bench import columnar as columnar_bench  # noqa: E402  (the same synthetic October)
from bench.processes import child, drop_database, postgres_database  # noqa: E402

PERIOD = "2026-10"
RECEIVED_AT = datetime(2026, 11, 2, 7, tzinfo=UTC)
CLOSE_NOW = datetime(2026, 11, 16, 7, tzinfo=UTC)  # after every template's settlement
TEMPLATES = ("acme-l1", "inhouse-l1", "nordline-overflow")
DIRECTOR = ("director@example.com", "cfo@example.com")
UNDER_FORECAST_DAYS = (6, 20)  # October days whose forecast is 20% under the real volume


# --- set-up -------------------------------------------------------------------------------


def contract_yaml(template: str, number: int) -> tuple[str, str]:
    """The template's text under a new id and provider: (contract id, YAML text)."""
    text = (ROOT / "contracts" / f"{template}.yaml").read_text(encoding="utf-8")
    contract_id = f"{template}-{number:02d}"
    text = re.sub(r"(?m)^id: .*$", f"id: {contract_id}", text, count=1)
    text = re.sub(
        r"(?m)^(provider:\n  id: )(.*)\n(  name: )(.*)$",
        lambda m: f"{m[1]}{m[2]}-{number:02d}\n{m[3]}{m[4]} {number:02d}",
        text,
        count=1,
    )
    return contract_id, text


def contacts_of(contract_id: str, rows: int, seed: int) -> pl.DataFrame:
    """bench/columnar.py's October (1 row in 100 bad) with ids that name the contract."""
    frame = columnar_bench.synthetic_contacts(rows, seed)
    return frame.with_columns(contact_id=pl.format("{}-{}", pl.lit(contract_id), "contact_id"))


def forecasts_of(contacts: pl.DataFrame) -> pl.DataFrame:
    """Daily contacts per channel (Paris days) as forecast, 20% under on two days."""
    arrived = pl.col("arrived_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False)
    daily = (
        contacts.select(
            day=arrived.dt.convert_time_zone("Europe/Paris").dt.date(), channel="channel"
        )
        .drop_nulls()
        .filter(pl.col("channel").is_in(["phone", "chat", "email"]))
        .group_by("day", "channel")
        .len()
    )
    under = pl.col("day").dt.day().is_in(list(UNDER_FORECAST_DAYS))
    return daily.select(
        date=pl.col("day").dt.to_string("%Y-%m-%d"),
        channel="channel",
        contacts=pl.when(under).then(pl.col("len") * 8 // 10).otherwise("len"),
    ).sort("date", "channel")


def costs_of(contract: Any) -> pl.DataFrame:
    """The month's fee (outsourced) or the in-house team's costs by channel (the demo's)."""
    from slaengine.demo.profiles import PROFILES

    if contract.credits is not None:
        rows = [("all", contract.credits.monthly_fee, "fee")]
    else:
        rows = [(c, amount, "other") for c, amount in sorted(PROFILES["inhouse"].costs.items())]
    return pl.DataFrame(
        {
            "month": [PERIOD] * len(rows),
            "channel": [row[0] for row in rows],
            "amount": [str(Decimal(row[1]).quantize(Decimal("0.01"))) for row in rows],
            "currency": [contract.currency] * len(rows),
            "kind": [row[2] for row in rows],
        }
    )


def _write(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_csv(path) if path.suffix == ".csv" else frame.write_parquet(path)
    return path


def set_up(spec: dict[str, Any]) -> dict[str, Any]:
    """Contracts, then each contract's contacts, forecasts and costs, ingested; in this process."""
    from slaengine.adapters.columnar.location import bind_data_location
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import contracts_in_force, load_contracts
    from slaengine.services.feeds import ingest_feed

    folder = Path(spec["folder"])
    engine = make_engine(spec["url"])
    bind_data_location(engine, str(folder / "data"))
    create_schema(engine)
    contracts_dir, feeds_dir = folder / "contracts", folder / "feeds"
    contracts_dir.mkdir(parents=True, exist_ok=True)
    feeds_dir.mkdir(exist_ok=True)
    paths = []
    for number in range(1, spec["contracts"] + 1):
        contract_id, text = contract_yaml(TEMPLATES[(number - 1) % len(TEMPLATES)], number)
        paths.append(contracts_dir / f"{contract_id}.yaml")
        paths[-1].write_text(text, encoding="utf-8")
    started = time.perf_counter()
    load_contracts(engine, paths)
    contracts = contracts_in_force(engine, PERIOD)
    stored = quarantined = 0
    generate_seconds = 0.0
    for number, contract in enumerate(contracts, start=1):
        begun = time.perf_counter()
        contacts = contacts_of(contract.id, spec["contacts"], seed=number)
        feeds = {
            "contacts": contacts,
            "forecasts": forecasts_of(contacts),
            "costs": costs_of(contract),
        }
        files = {
            kind: _write(frame, feeds_dir / f"{contract.id}-{kind}.{spec['format']}")
            for kind, frame in feeds.items()
        }
        generate_seconds += time.perf_counter() - begun
        for kind, path in files.items():
            report = ingest_feed(engine, contract.id, kind, path, received_at=RECEIVED_AT)
            if kind == "contacts":
                stored, quarantined = stored + report.stored, quarantined + report.quarantined
    engine.dispose()
    return {
        "setup_seconds": round(time.perf_counter() - started, 1),
        "generate_seconds": round(generate_seconds, 1),
        "contacts": stored + quarantined,
        "stored": stored,
        "setup_rss_mb": _peak_rss_mb(),
    }


# --- the close ----------------------------------------------------------------------------


class Clock:
    """Progress that notes when each phase of the close starts and its last item ends."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def phase(self, name: str, total: int) -> None:
        self.started[name] = time.perf_counter()

    def advance(self, name: str, label: str) -> None:
        self.last[name] = time.perf_counter()


def run_close(spec: dict[str, Any]) -> dict[str, Any]:
    """`close_month` as `slaengine run monthly` calls it, timed phase by phase; in this process."""
    from slaengine.adapters.columnar.location import bind_data_location
    from slaengine.adapters.storage.engine import make_engine
    from slaengine.config import Delivery, Settings
    from slaengine.i18n import activate
    from slaengine.services.close import close_month
    from slaengine.services.runs import run_lock

    folder = Path(spec["folder"])
    settings = Settings(
        database_url=spec["url"],
        contracts_dir=folder / "contracts",
        reports_dir=folder / "reports",
        delivery=Delivery(
            smtp_host="127.0.0.1",
            smtp_port=spec["smtp_port"],
            sender="slaengine@example.com",
            director=DIRECTOR,
        ),
    )
    activate(settings.locale)
    engine = make_engine(spec["url"])
    bind_data_location(engine, str(folder / "data"))
    clock = Clock()
    started = time.perf_counter()
    with _profiled(spec.get("profile")), run_lock(engine):
        report = close_month(engine, settings, PERIOD, now=CLOSE_NOW, progress=clock)
    ended = time.perf_counter()
    engine.dispose()
    if report.outcome != "done":
        failures = [f"{c.contract_id}: {c.error}" for c in report.contracts if c.error]
        raise SystemExit(f"close {report.outcome}: {report.error} {failures[:3]}")
    return {
        "close_seconds": round(ended - started, 1),
        **_phases(clock, started, ended),
        "pdfs": len(list(settings.reports_dir.glob("*.pdf"))),
        "pdf_mb": round(sum(p.stat().st_size for p in settings.reports_dir.glob("*.pdf")) / 1e6, 1),
        "breaches": sum(item.breaches for item in report.contracts),
        "close_rss_mb": _peak_rss_mb(),
    }


def _phases(clock: Clock, started: float, ended: float) -> dict[str, float]:
    """Seconds of: pull, evaluate, reports (scorecards + audits), portfolio + mail, delivery."""
    marks = clock.started
    delivery = marks.get("delivery", ended)
    spans = {
        "pull_seconds": (marks["pull feeds"], marks["evaluate"]),
        "evaluate_seconds": (marks["evaluate"], marks["write reports"]),
        "reports_seconds": (marks["write reports"], clock.last["write reports"]),
        "portfolio_seconds": (clock.last["write reports"], delivery),
        "delivery_seconds": (delivery, ended),
    }
    return {name: round(end - begin, 1) for name, (begin, end) in spans.items()}


@contextmanager
def _profiled(path: str | None) -> Iterator[None]:
    if not path:
        yield
        return
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)


def _peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- the driver ---------------------------------------------------------------------------


def scenario(backend: str, folder: Path, args: argparse.Namespace, port: int) -> dict[str, Any]:
    """Set-up then close in two child processes; the e-mail lands in this process's server."""
    url, admin = f"sqlite:///{folder}/catalogue.db", None
    if backend == "postgresql":
        made = postgres_database()
        if made is None:
            return {}
        admin, url = made
    spec = {
        "folder": str(folder),
        "url": url,
        "contracts": args.contracts,
        "contacts": args.contacts_per_contract,
        "format": args.format,
        "smtp_port": port,
        "profile": str(args.profile) if args.profile else None,
    }
    try:
        result = child(__file__, "--set-up", json.dumps(spec))
        result |= child(__file__, "--close", json.dumps(spec))
    finally:
        if admin is not None:
            drop_database(admin, url)
    return result


HEADER = (
    "| catalogue | contracts | contacts | ingest s | close s | evaluate s | scorecards + audits s"
    " | portfolio + mail s | delivery s | peak RSS (close) | PDFs | e-mail |"
)


def _row(backend: str, contracts: int, result: dict[str, Any], mail_bytes: int) -> str:
    return (
        f"| {backend} | {contracts} | {result['contacts']:,} | {result['setup_seconds']}"
        f" | **{result['close_seconds']}** | {result['evaluate_seconds']}"
        f" | {result['reports_seconds']} | {result['portfolio_seconds']}"
        f" | {result['delivery_seconds']} | {result['close_rss_mb']} MB"
        f" | {result['pdfs']} ({result['pdf_mb']} MB) | {mail_bytes / 1e6:.1f} MB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contracts", type=int, default=50)
    parser.add_argument("--contacts-per-contract", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--profile", type=Path, help="cProfile stats of the close, to this file")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--set-up", help=argparse.SUPPRESS)
    parser.add_argument("--close", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.set_up:
        print(json.dumps(set_up(json.loads(args.set_up))))
        return
    if args.close:
        print(json.dumps(run_close(json.loads(args.close))))
        return
    from tests.close_builders import Mailbox, smtp_server

    print(HEADER)
    print("|" + " --- |" * 12, flush=True)
    box = Mailbox()
    with smtp_server(box, data_size_limit=None) as port:
        for backend in args.backends.split(","):
            with tempfile.TemporaryDirectory() as scratch:
                folder = args.keep / backend if args.keep else Path(scratch)
                result = scenario(backend, folder, args, port)
            if not result:
                continue
            _, message = box.received[-1]
            mail_bytes = len(message.as_bytes())
            print(_row(backend, args.contracts, result, mail_bytes), flush=True)
            print(f"<!-- {backend}: {json.dumps(result)} -->", flush=True)


if __name__ == "__main__":
    main()
