"""Time `contract backtest` of the example draft over months of a large synthetic provider.

Run: .venv/bin/python bench/backtest.py --rows 1000000 --months 12 [--keep DIR]
Generates `--rows` clean contacts per month of 2026 for acme-l1 (Parquet), ingests them into a
SQLite file, evaluates and stores each month under acme-l1 version 2 (the results in force),
then times the backtest of drafts/acme-l1-v3-draft.yaml over the months (nothing stored).
Prints one JSON line: ingest and evaluation seconds, backtest seconds and seconds per month.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import slaengine  # noqa: E402, F401  (before polars, as in a command: it sets polars' allocator)

# isort: split
import polars as pl  # noqa: E402

AS_OF = datetime(2027, 1, 20, tzinfo=UTC)


def month_of_contacts(year: int, month: int, rows: int) -> pl.DataFrame:
    """`rows` contacts spread evenly over the month (UTC), 60/25/15 % phone/chat/email."""
    start = datetime(year, month, 1, tzinfo=UTC)
    stop = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    spacing_ms = int((stop - start) / timedelta(milliseconds=1)) // rows
    frame = pl.DataFrame({"i": pl.int_range(0, rows, eager=True)}).with_columns(
        r=((pl.col("i") * 2_654_435_761 + month) % 1_000).cast(pl.Int64),
        arrived=pl.lit(start) + pl.duration(milliseconds=pl.col("i") * spacing_ms),
    )
    channel = (
        pl.when(pl.col("r") < 600)
        .then(pl.lit("phone"))
        .when(pl.col("r") < 850)
        .then(pl.lit("chat"))
        .otherwise(pl.lit("email"))
    )
    wait = pl.duration(seconds=pl.col("r") % 45)
    abandoned = (pl.col("r") % 20 == 0) & (channel != "email")
    stamp = "%Y-%m-%dT%H:%M:%S%.3f+00:00"
    return frame.with_columns(
        contact_id=pl.format("m{}-c{}", pl.lit(month), pl.col("i")),
        channel=channel,
        queue=pl.lit("general"),
        arrived_at=pl.col("arrived").dt.to_string(stamp),
        answered_at=pl.when(~abandoned).then((pl.col("arrived") + wait).dt.to_string(stamp)),
        abandoned_at=pl.when(abandoned).then((pl.col("arrived") + wait).dt.to_string(stamp)),
        handle_seconds=pl.when(~abandoned).then((pl.col("r") % 600 + 30).cast(pl.String)),
        resolved_first_contact=pl.when(pl.col("r") % 5 != 0).then(pl.lit("true")),
        csat=pl.when(pl.col("r") % 10 == 1).then((pl.col("r") % 2 + 4).cast(pl.String)),
        nps=pl.when(pl.col("r") % 16 == 3).then((pl.col("r") % 3 + 8).cast(pl.String)),
    ).drop("i", "r", "arrived")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts per month")
    parser.add_argument("--months", type=int, default=12, help="months from 2026-01")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="slaengine-backtest-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(folder, args.rows, args.months)))


def run(folder: Path, rows: int, months: int) -> dict[str, object]:
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.adapters.yaml.contract import load_contract_file
    from slaengine.services.backtest import backtest
    from slaengine.services.contracts import load_contracts
    from slaengine.services.evaluation import evaluate_period
    from slaengine.services.feeds import ingest_feed

    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    create_schema(engine)
    load_contracts(engine, [ROOT / "contracts" / "acme-l1.yaml"])
    periods = [f"2026-{number:02d}" for number in range(1, months + 1)]
    started = time.perf_counter()
    for number, period in enumerate(periods, start=1):
        path = folder / f"contacts-{period}.parquet"
        month_of_contacts(2026, number, rows).write_parquet(path)
        ingest_feed(engine, "acme-l1", "contacts", path)
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for period in periods:
        evaluate_period(engine, "acme-l1", period, as_of=AS_OF)
    evaluate_seconds = time.perf_counter() - started
    draft = load_contract_file(ROOT / "drafts" / "acme-l1-v3-draft.yaml")
    started = time.perf_counter()
    result = backtest(engine, draft, periods[0], periods[-1], as_of=AS_OF, against="acme-l1")
    backtest_seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "rows_per_month": rows,
        "months": months,
        "ingest_seconds": round(ingest_seconds, 1),
        "evaluate_and_store_seconds": round(evaluate_seconds, 1),
        "backtest_seconds": round(backtest_seconds, 1),
        "backtest_seconds_per_month": round(backtest_seconds / months, 2),
        "flipped_months": sum(1 for month in result.months if month.flips),
        "draft_credits": str(result.draft_totals.credits),
    }


if __name__ == "__main__":
    main()
