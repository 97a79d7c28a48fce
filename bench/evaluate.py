"""Time the first evaluation of a stored month (no cached inputs) and a re-evaluation, beside
DuckDB aggregating service level per channel and local day over the same rows.

Run: .venv/bin/python bench/evaluate.py --rows 1000000 [--data /tmp/slaengine-evaluate]
     [--repeat 3] [--profile]

The month (bench/columnar.py's synthetic contacts, as Parquet) is ingested once per size into a
SQLite catalogue under --data and kept; every run then drops the cached inputs before the
first evaluation. DuckDB reads both the source file (annex text, timestamps cast) and the
stored parts (typed). --profile prints the cProfile hot spots of one first evaluation.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.columnar import AS_OF, duckdb_month, files_for  # noqa: E402

PARTS_QUERY = """
    SELECT channel, CAST(timezone('Europe/Paris', arrived_at) AS DATE) AS day,
           CAST(count(*) AS BIGINT) AS offered,
           CAST(sum(CASE WHEN answered_at - arrived_at <= INTERVAL 20 SECOND THEN 1 ELSE 0 END)
                AS BIGINT) AS within
    FROM read_parquet({paths}) GROUP BY ALL ORDER BY ALL"""


def _catalogue(rows: int, data: Path) -> tuple[object, Path]:
    """The engine of the size's catalogue, ingesting the month the first time."""
    folder = data / f"catalogue-{rows}"
    os.environ["SLAENGINE_DATA_URL"] = str(folder / "data")
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import load_contracts
    from slaengine.services.feeds import ingest_feed

    fresh = not (folder / "bench.db").exists()
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{folder}/bench.db")
    if fresh:
        source = files_for(rows, data / "files", ["parquet"])["parquet"]
        create_schema(engine)
        load_contracts(engine, [ROOT / "contracts" / "acme-l1.yaml"])
        started = time.perf_counter()
        ingest_feed(engine, "acme-l1", "contacts", source)
        print(f"ingest {time.perf_counter() - started:.2f} s", flush=True)
    return engine, folder


def _drop_cache(engine: object) -> None:
    from sqlalchemy import delete

    from slaengine.adapters.columnar.cache import CACHE

    with engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(delete(CACHE))


def _evaluate(engine: object) -> float:
    from slaengine.services.evaluation import evaluate_period

    started = time.perf_counter()
    evaluate_period(engine, "acme-l1", "2026-10", as_of=AS_OF, store=False)  # type: ignore[arg-type]
    return time.perf_counter() - started


def _duckdb_parts(folder: Path) -> float:
    import duckdb

    paths = sorted(str(p) for p in (folder / "data" / "contacts").rglob("*.parquet"))
    started = time.perf_counter()
    duckdb.sql(PARTS_QUERY.format(paths=paths)).fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/slaengine-evaluate"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    engine, folder = _catalogue(args.rows, args.data)
    if args.profile:
        _evaluate(engine)  # imports and caches warm, as in a long-running process
        _drop_cache(engine)
        profile = cProfile.Profile()
        profile.runcall(_evaluate, engine)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        return
    _evaluate(engine)  # warm the imports, the OS file cache and the contract
    first, again = [], []
    for _ in range(args.repeat):
        _drop_cache(engine)
        first.append(_evaluate(engine))
        again.append(_evaluate(engine))
    source = files_for(args.rows, args.data / "files", ["parquet"])["parquet"]
    duck = [float(str(duckdb_month(str(source))["duckdb"])) for _ in range(args.repeat)]
    parts = [_duckdb_parts(folder) for _ in range(args.repeat)]

    def shown(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} s (best {min(values):.3f})"

    print(
        f"rows {args.rows:,}, medians of {args.repeat}: first evaluation {shown(first)},"
        f" re-evaluation {shown(again)}; DuckDB on the source Parquet {shown(duck)},"
        f" on the stored parts {shown(parts)}"
    )


if __name__ == "__main__":
    main()
