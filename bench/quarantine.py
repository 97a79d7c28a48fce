"""The quarantine path: a file whose every row is bad, ingested (all rows quarantined).

Run: .venv/bin/python bench/quarantine.py [--rows 1000000] [--backend sqlite|postgresql]

The month of bench/columnar.py with every row made bad in one of four ways (no UTC offset,
csat 9, channel fax, answered and abandoned both given), ingested into a scratch catalogue in
this process: SQLite, or a scratch PostgreSQL database on SLAENGINE_TEST_POSTGRES_URL's
server (dropped after). Prints the seconds of the ingest, of which those of storing the
quarantine (`feed_store._insert_quarantine`) and of what follows it (the file's counts and
the commit), the peak RSS, the reasons counted, and the seconds `feed quarantine` takes to
read the rows back (`quarantined_rows`).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import slaengine  # noqa: E402, F401  (before polars, as in a command: it sets polars' allocator)

# isort: split
import polars as pl  # noqa: E402

from bench.columnar import synthetic_contacts  # noqa: E402
from bench.processes import drop_database, postgres_database  # noqa: E402


def bad_file(rows: int, path: Path) -> None:
    kind = pl.int_range(0, pl.len()) % 4
    frame = synthetic_contacts(rows).with_columns(
        arrived_at=pl.when(kind == 0)
        .then(pl.col("arrived_at").str.replace(r"\+00:00$", ""))
        .otherwise(pl.col("arrived_at")),
        csat=pl.when(kind == 1).then(pl.lit("9")).otherwise(pl.col("csat")),
        channel=pl.when(kind == 2).then(pl.lit("fax")).otherwise(pl.col("channel")),
        abandoned_at=pl.when(kind == 3)
        .then(pl.coalesce("answered_at", "abandoned_at"))
        .otherwise(pl.col("abandoned_at")),
        answered_at=pl.when(kind == 3)
        .then(pl.coalesce("answered_at", "abandoned_at"))
        .otherwise(pl.col("answered_at")),
    )
    frame.write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"bad-{args.rows}.csv"
        bad_file(args.rows, path)
        url, admin = f"sqlite:///{scratch}/bench.db", None
        if args.backend == "postgresql":
            made = postgres_database()
            if made is None:
                raise SystemExit("no PostgreSQL server (SLAENGINE_TEST_POSTGRES_URL)")
            admin, url = made
        os.environ["SLAENGINE_DATA_URL"] = f"{scratch}/data"
        try:
            line = _ingest_and_read(url, path, args.rows, args.backend)
        finally:
            if admin is not None:
                drop_database(admin, url)
    print(line)


def _timed_quarantine(marks: dict[str, float]) -> None:
    """Note when the quarantine's storing starts and ends (the rest of the ingest is the
    validation's, whose time depends most on the machine's other load)."""
    from slaengine.adapters.storage import feed_store

    insert = feed_store._insert_quarantine

    def timed(*args: Any) -> None:
        marks["start"] = time.perf_counter()
        insert(*args)
        marks["end"] = time.perf_counter()

    feed_store._insert_quarantine = timed  # type: ignore[assignment]


def _ingest_and_read(url: str, path: Path, rows: int, backend: str) -> str:
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import load_contracts
    from slaengine.services.feeds import ingest_feed, quarantined_rows

    engine = make_engine(url)
    create_schema(engine)
    load_contracts(engine, [ROOT / "contracts" / "acme-l1.yaml"])
    marks: dict[str, float] = {}
    _timed_quarantine(marks)
    started = time.perf_counter()
    report = ingest_feed(engine, "acme-l1", "contacts", path)
    ended = time.perf_counter()
    seconds, storing, after = ended - started, marks["end"] - marks["start"], ended - marks["end"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    started = time.perf_counter()
    read = len(quarantined_rows(engine, "acme-l1"))
    reading = time.perf_counter() - started
    engine.dispose()
    return (
        f"{rows:,} bad rows ({backend}): {seconds:.2f} s (quarantine stored in {storing:.2f} s,"
        f" then counts and commit {after:.2f} s), peak RSS {peak:.2f} GB,"
        f" stored {report.stored:,}, quarantined {report.quarantined:,},"
        f" reasons {report.reasons}; read back {read:,} rows in {reading:.2f} s"
    )


if __name__ == "__main__":
    main()
