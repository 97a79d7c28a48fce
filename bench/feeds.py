"""Time feed ingestion: read + Pandera validation + storage of synthetic contacts, ~1% bad rows.

Run: .venv/bin/python bench/feeds.py --rows 1000000 [--formats csv,parquet] [--keep DIR]
Each scenario (format x backend) runs in its own process so that its peak RSS
(resource.getrusage ru_maxrss) is its own. PostgreSQL runs too when SLAENGINE_TEST_POSTGRES_URL
answers (a throw-away database is created and dropped). Prints one line per scenario:
validation alone, then validation + storage (the whole `ingest_feed`), in rows per second.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import slaengine  # noqa: E402, F401  (before polars, as in a command: it sets polars' allocator)

# isort: split
import polars as pl  # noqa: E402

from bench.processes import drop_database, postgres_database  # noqa: E402

BAD_EVERY = 100  # one row in a hundred is bad, in four different ways
# Two seconds apart from 2026-10-01: 1M contacts span about 23 days; read back a wide range.
_MONTHS_SPANNED = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def synthetic_contacts(
    rows: int,
    seed: int = 7,
    *,
    spacing_us: int = 2_000_000,
    stamp: str = "%Y-%m-%dT%H:%M:%S+00:00",
    duplicates: bool = True,
    first: int = 0,
) -> pl.DataFrame:
    """`rows` contacts from 2026-10-01 (UTC), `spacing_us` apart, as annex text; every 100th
    row is bad in one of four ways (a repeated contact_id only when `duplicates`). `first`:
    the number of the first contact, to make a large file slice by slice."""
    index = pl.int_range(first, first + rows, eager=True)
    frame = pl.DataFrame({"i": index}).with_columns(
        r=((pl.col("i") * 2_654_435_761 + seed) % 1_000).cast(pl.Int64),
        arrived=pl.lit(datetime(2026, 10, 1, tzinfo=UTC))
        + pl.duration(microseconds=pl.col("i") * spacing_us),
    )
    channel = (
        pl.when(pl.col("r") < 600)
        .then(pl.lit("phone"))
        .when(pl.col("r") < 850)
        .then(pl.lit("chat"))
        .otherwise(pl.lit("email"))
    )
    wait = pl.duration(seconds=pl.col("r") % 90)
    abandoned = (pl.col("r") % 10 == 0) & (channel != "email")
    frame = frame.with_columns(
        contact_id=pl.format("c{}", pl.col("i")),
        channel=channel,
        queue=pl.lit("general"),
        arrived_at=pl.col("arrived").dt.to_string(stamp),
        answered_at=pl.when(~abandoned).then((pl.col("arrived") + wait).dt.to_string(stamp)),
        abandoned_at=pl.when(abandoned).then((pl.col("arrived") + wait).dt.to_string(stamp)),
        handle_seconds=pl.when(~abandoned).then((pl.col("r") % 600 + 30).cast(pl.String)),
        resolved_first_contact=pl.when(pl.col("r") % 2 == 0).then(pl.lit("true")),
        csat=pl.when(pl.col("r") % 10 == 1).then((pl.col("r") % 5 + 1).cast(pl.String)),
        nps=pl.when(pl.col("r") % 16 == 3).then((pl.col("r") % 11).cast(pl.String)),
    )
    bad = pl.col("i") % BAD_EVERY == 0
    kind = (pl.col("i") // BAD_EVERY) % 4
    return frame.with_columns(
        arrived_at=pl.when(bad & (kind == 0))
        .then(pl.col("arrived").dt.to_string("%Y-%m-%dT%H:%M:%S"))
        .otherwise(pl.col("arrived_at")),
        csat=pl.when(bad & (kind == 1)).then(pl.lit("9")).otherwise(pl.col("csat")),
        channel=pl.when(bad & (kind == 2)).then(pl.lit("fax")).otherwise(pl.col("channel")),
        contact_id=pl.when(bad & (kind == 3) & pl.lit(duplicates))
        .then(pl.format("c{}", pl.col("i") - 1))
        .otherwise(pl.col("contact_id")),
    ).drop("i", "r", "arrived")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(path: Path, url: str) -> dict[str, object]:
    """One scenario in this process: validation alone, then a full ingest into `url`."""
    from slaengine.adapters.feeds.readers import read_feed_file
    from slaengine.adapters.feeds.schemas import validate_frame
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import load_contracts
    from slaengine.services.feeds import ingest_feed

    started = time.perf_counter()
    rows_read = validate_frame(read_feed_file(path), "contacts").rows
    validate_seconds = time.perf_counter() - started
    engine = make_engine(url)
    create_schema(engine)
    load_contracts(engine, [ROOT / "contracts" / "acme-l1.yaml"])
    started = time.perf_counter()
    report = ingest_feed(engine, "acme-l1", "contacts", path)
    ingest_seconds = time.perf_counter() - started
    from slaengine.adapters.storage.feed_repo import contacts_frame

    started = time.perf_counter()
    month = contacts_frame(engine, "acme-l1", *_MONTHS_SPANNED)
    read_back_seconds = time.perf_counter() - started
    engine.dispose()
    assert report.rows == report.stored + report.quarantined == rows_read
    return {
        "rows": report.rows,
        "stored": report.stored,
        "quarantined": report.quarantined,
        "validate_seconds": round(validate_seconds, 2),
        "ingest_seconds": round(ingest_seconds, 2),
        "read_back_rows": month.height,
        "read_back_seconds": round(read_back_seconds, 2),
        "peak_rss_mb": round(_peak_rss_mb()),  # of validation and ingestion, whichever is higher
    }


def _scenario(path: Path, url: str) -> dict[str, object]:
    command = [sys.executable, __file__, "--one", str(path), "--url", url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _line(fmt: str, backend: str, result: dict[str, object]) -> str:
    rows = int(str(result["rows"]))
    validate = float(str(result["validate_seconds"]))
    ingest = float(str(result["ingest_seconds"]))
    return (
        f"{fmt:<8} {backend:<10} rows {rows:>10,}  stored {result['stored']:>10,}"
        f"  quarantined {result['quarantined']:>7,}  read+validate {validate:6.2f} s"
        f" ({rows / validate:>9,.0f} rows/s)"
        f"  ingest {ingest:6.2f} s ({rows / ingest:>8,.0f} rows/s)"
        f"  contacts_frame {result['read_back_rows']:,} rows {result['read_back_seconds']} s"
        f"  peak RSS {result['peak_rss_mb']} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--keep", type=Path, help="write the synthetic files here and keep them")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.url)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        frame = synthetic_contacts(args.rows)
        paths = {}
        for fmt in args.formats.split(","):
            path = folder / f"contacts-{args.rows}.{fmt}"
            frame.write_csv(path) if fmt == "csv" else frame.write_parquet(path)
            paths[fmt] = path
        del frame
        version = sys.version.split()[0]
        print(f"{args.rows:,} synthetic contacts, 1 row in {BAD_EVERY} bad; python {version}")
        for fmt, path in paths.items():
            url = f"sqlite:///{Path(scratch) / f'bench-{fmt}.db'}"
            print(_line(fmt, "sqlite", _scenario(path, url)), flush=True)
            postgres = postgres_database()
            if postgres is not None:
                admin, pg_url = postgres
                try:
                    print(_line(fmt, "postgresql", _scenario(path, pg_url)), flush=True)
                finally:
                    drop_database(admin, pg_url)


if __name__ == "__main__":
    main()
