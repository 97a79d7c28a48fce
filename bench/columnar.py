"""Columnar store benchmark: ingest, evaluate and re-evaluate a month, beside DuckDB.

Run: .venv/bin/python bench/columnar.py --rows 1000000,5000000 [--formats csv,parquet]
     [--backends sqlite,postgresql] [--data /tmp/slaengine-bench]

Synthetic contacts spread evenly over October 2026 (1 row in 100 bad) are generated once per
size under --data (kept for later runs). Every scenario (size x format x catalogue) runs in its
own process, so its peak RSS (ru_maxrss) is its own; DuckDB runs in another process, reading
the same file and computing the month's service level per channel and local day. Then, in the
scenario's process: a full-month re-send (every contact again, new values) and a 1% correction
(ingest s, then evaluate s). Two anchors, each DuckDB in a process of its own: the read-once
limit (the file read and the month aggregated) and the same job as the ingest
(`duckdb_same_job`: typed, checked, valid rows to zstd Parquet, the month aggregated from it);
ratio = (ingest + evaluate) / each. Every file is read once before the ingest, so that both
sides find it in the page cache. "peak RSS" is the
process's peak after the first ingest and evaluations, "peak RSS, all" after the re-send and
the correction too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

from bench import feeds as feeds_bench  # noqa: E402  (the same synthetic contacts)
from bench.processes import child, compiled, drop_database, postgres_database  # noqa: E402

BAD_EVERY = 100
MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)
MONTH_SECONDS = 31 * 86_400 - 7_200  # stay inside the Paris month
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)


def synthetic_contacts(
    rows: int, seed: int = 7, *, first: int = 0, count: int | None = None
) -> pl.DataFrame:
    """Contacts `first` to `first + count` of `rows` spread over October 2026 (Paris) as annex
    text, 1 row in 100 bad (no repeated ids: a re-send must restate every row)."""
    return feeds_bench.synthetic_contacts(
        rows if count is None else count,
        seed,
        spacing_us=MONTH_SECONDS * 1_000_000 // rows,
        stamp="%Y-%m-%dT%H:%M:%S%.6f+00:00",
        duplicates=False,
        first=first,
    )


SLICE = 5_000_000  # contacts made at once (a 50M file is written slice by slice: 2 GB of RAM)


def files_for(rows: int, folder: Path, formats: list[str]) -> dict[str, Path]:
    """The month, its full re-send and a 1% correction, written once per size and format."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt in formats:
        names = {
            fmt: folder / f"contacts-{rows}.{fmt}",
            f"{fmt}-resend": folder / f"contacts-{rows}-resend.{fmt}",
            f"{fmt}-fix": folder / f"contacts-{rows}-fix.{fmt}",
        }
        if not all(path.exists() for path in names.values()):
            _write_slices(rows, fmt, list(names.values()))
        paths.update(names)
    return paths


def _write_slices(rows: int, fmt: str, paths: list[Path]) -> None:
    """The month, the re-send and the fix, `SLICE` contacts at a time (CSV appended; Parquet
    row groups of one writer per file)."""
    import pyarrow.parquet as pq

    writers: dict[Path, pq.ParquetWriter] = {}
    partial = [path.with_name(path.name + ".partial") for path in paths]
    for first in range(0, rows, SLICE):
        count = min(SLICE, rows - first)
        month = synthetic_contacts(rows, first=first, count=count)
        resend = synthetic_contacts(rows, seed=8, first=first, count=count)
        fix = resend.gather_every(100, offset=50)  # `first` is a multiple of 100
        for frame, path in zip((month, resend, fix), partial, strict=True):
            if fmt == "csv":
                with path.open("ab" if first else "wb") as handle:
                    frame.write_csv(handle, include_header=not first)
            else:
                table = frame.to_arrow()
                if path not in writers:
                    writers[path] = pq.ParquetWriter(path, table.schema)
                writers[path].write_table(table)
    for writer in writers.values():
        writer.close()
    for done, path in zip(partial, paths, strict=True):
        done.rename(path)


def _read_once(path: str) -> None:
    """Read a file whole, so that the ingest, like DuckDB after it, finds it in the page cache
    (a file just generated, or pushed out by a larger one, was read from the disk by the
    ingest alone: 10M contacts ingested 0.5 s slower)."""
    with open(path, "rb", buffering=0) as handle:
        block = bytearray(8 << 20)
        while handle.readinto(block):
            pass


def _peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return round(time.perf_counter() - started, 2)


def run_scenario(
    paths: dict[str, str], url: str, data: str, restatements: bool = True
) -> dict[str, object]:
    """Ingest, evaluate, re-evaluate, then (`restatements`) a full re-send and a 1% correction,
    in this process."""
    os.environ["SLAENGINE_DATA_URL"] = data
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import load_contracts
    from slaengine.services.evaluation import evaluate_period
    from slaengine.services.feeds import ingest_feed

    engine = make_engine(url)
    create_schema(engine)
    load_contracts(engine, [ROOT / "contracts" / "acme-l1.yaml"])
    reports = []

    def ingest(key: str) -> None:
        reports.append(ingest_feed(engine, "acme-l1", "contacts", Path(paths[key])))

    def evaluate() -> None:
        evaluate_period(engine, "acme-l1", "2026-10", as_of=AS_OF, store=False)

    out: dict[str, object] = {"ingest": _timed(lambda: ingest("month"))}
    out["evaluate"] = _timed(evaluate)
    out["re_evaluate"] = _timed(evaluate)
    out["peak_rss_mb"] = _peak_rss_mb()
    if restatements:
        out["resend_ingest"] = _timed(lambda: ingest("resend"))
        out["resend_evaluate"] = _timed(evaluate)
        out["fix_ingest"] = _timed(lambda: ingest("fix"))
        out["fix_evaluate"] = _timed(evaluate)
    else:  # "-" in the table
        names = ("resend_ingest", "resend_evaluate", "fix_ingest", "fix_evaluate")
        out |= dict.fromkeys(names, "-")
    out["peak_rss_all_mb"] = _peak_rss_mb()
    out["stored"] = reports[0].stored
    out["restated"] = [report.restated for report in reports[1:]]
    engine.dispose()
    return out


def duckdb_month(path: str) -> dict[str, object]:
    """DuckDB reads the file (text columns, timestamps cast) and aggregates service level."""
    import duckdb

    source = (
        f"read_csv('{path}', all_varchar = true)"
        if path.endswith(".csv")
        else f"read_parquet('{path}')"
    )
    query = f"""
        SELECT channel, CAST(timezone('Europe/Paris', arrived) AS DATE) AS day,
               CAST(count(*) AS BIGINT) AS offered,
               CAST(sum(CASE WHEN answered - arrived <= INTERVAL 20 SECOND THEN 1 ELSE 0 END)
                    AS BIGINT) AS within
        FROM (SELECT channel, TRY_CAST(arrived_at AS TIMESTAMPTZ) AS arrived,
                     TRY_CAST(answered_at AS TIMESTAMPTZ) AS answered FROM {source})
        WHERE arrived IS NOT NULL GROUP BY ALL ORDER BY ALL"""
    started = time.perf_counter()
    rows = duckdb.sql(query).fetchall()
    return {"duckdb": round(time.perf_counter() - started, 2), "groups": len(rows)}


def _stamp(name: str) -> str:
    """A timestamp column as DuckDB types it: null when empty, flagged when it has no UTC
    offset (the annex's rule; string tests, DuckDB's regular expressions cost a second per
    column at 1M rows), else TIMESTAMPTZ."""
    text = f"nullif(trim({name}), '')"
    offset = (
        f"(suffix({text}, 'Z') OR (substr({text}, -6, 1) IN ('+', '-')"
        f" AND substr({text}, -3, 1) = ':'))"
    )
    return (
        f"CASE WHEN {offset} THEN TRY_CAST({text} AS TIMESTAMPTZ) END AS {name},"
        f" ({text} IS NOT NULL AND NOT {offset}) AS {name}_bad"
    )


def duckdb_same_job(path: str, scratch: str) -> dict[str, object]:
    """DuckDB doing the ingest's job: every column read as text, trimmed and typed, the rows
    checked (the annex's row rules, control characters and the file's repeated ids aside),
    the valid rows written to a zstd Parquet file, then the month aggregated from that file."""
    import duckdb

    source = (
        f"read_csv('{path}', all_varchar = true)"
        if path.endswith(".csv")
        else f"read_parquet('{path}')"
    )
    channels = "'phone', 'chat', 'email', 'sms', 'social', 'mail'"
    typed = f"""
        SELECT nullif(trim(contact_id), '') AS contact_id,
               lower(nullif(trim(channel), '')) AS channel,
               coalesce(nullif(trim(queue), ''), 'default') AS queue,
               {_stamp("arrived_at")}, {_stamp("answered_at")}, {_stamp("abandoned_at")},
               TRY_CAST(nullif(trim(handle_seconds), '') AS DOUBLE) AS handle_seconds,
               nullif(trim(handle_seconds), '') IS NOT NULL AS handle_given,
               CASE lower(trim(resolved_first_contact)) WHEN 'true' THEN true
                    WHEN 'false' THEN false END AS resolved_first_contact,
               TRY_CAST(nullif(trim(csat), '') AS BIGINT) AS csat,
               TRY_CAST(nullif(trim(nps), '') AS BIGINT) AS nps
        FROM {source}"""
    # typed once (MATERIALIZED): inlined in the filter, DuckDB evaluates the typing again for
    # each rule, ten times slower
    checked = f"""
        WITH typed AS MATERIALIZED ({typed})
        SELECT contact_id, channel, queue, arrived_at, answered_at, abandoned_at,
               handle_seconds, resolved_first_contact, csat, nps
        FROM typed
        WHERE contact_id IS NOT NULL AND length(contact_id) <= 200
          AND channel IN ({channels}) AND length(queue) <= 200
          AND arrived_at IS NOT NULL
          AND NOT (arrived_at_bad OR answered_at_bad OR abandoned_at_bad)
          AND coalesce(answered_at >= arrived_at, true)
          AND coalesce(abandoned_at >= arrived_at, true)
          AND NOT (answered_at IS NOT NULL AND abandoned_at IS NOT NULL)
          AND (channel NOT IN ('phone', 'chat') OR answered_at IS NOT NULL
               OR abandoned_at IS NOT NULL)
          AND (NOT handle_given OR answered_at IS NOT NULL)
          AND coalesce(handle_seconds >= 0, NOT handle_given)
          AND coalesce(csat BETWEEN 1 AND 5, true) AND coalesce(nps BETWEEN 0 AND 10, true)
        ORDER BY arrived_at, contact_id"""
    target = f"{scratch}/duckdb-same-job.parquet"
    month = f"""
        SELECT channel, CAST(timezone('Europe/Paris', arrived_at) AS DATE) AS day,
               CAST(count(*) AS BIGINT) AS offered,
               CAST(sum(CASE WHEN answered_at - arrived_at <= INTERVAL 20 SECOND THEN 1 ELSE 0
                    END) AS BIGINT) AS within
        FROM read_parquet('{target}') GROUP BY ALL ORDER BY ALL"""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    connection.execute(f"COPY ({checked}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    stored = connection.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
    rows = connection.execute(month).fetchall()
    seconds = time.perf_counter() - started
    assert stored is not None
    return {"duckdb_job": round(seconds, 2), "duckdb_job_stored": stored[0], "groups": len(rows)}


HEADER = (
    "| rows | format | catalogue | ingest s | evaluate s | re-evaluate s | peak RSS"
    " | DuckDB read-once s | ratio | DuckDB same job s | ratio"
    " | re-send: ingest / evaluate s | 1% fix: ingest / evaluate s | peak RSS, all |"
)


def _row(rows: int, fmt: str, backend: str, result: dict[str, object]) -> str:
    ours = float(str(result["ingest"])) + float(str(result["evaluate"]))
    once, job = float(str(result["duckdb"])), float(str(result["duckdb_job"]))
    return (
        f"| {rows / 1e6:g}M | {fmt} | {backend} | {result['ingest']} | {result['evaluate']}"
        f" | {result['re_evaluate']} | {int(str(result['peak_rss_mb'])) / 1024:.2f} GB"
        f" | {once} | {ours / once:.1f}× | {job} | {ours / job:.2f}× | {result['resend_ingest']} /"
        f" {result['resend_evaluate']} | {result['fix_ingest']} / {result['fix_evaluate']}"
        f" | {int(str(result['peak_rss_all_mb'])) / 1024:.2f} GB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", default="1000000")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--data", type=Path, default=Path("/tmp/slaengine-bench"))
    parser.add_argument(
        "--no-restatements", action="store_true",
        help="skip the full re-send and the 1%% correction (minutes at 50M)",
    )  # fmt: skip
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--duckdb", help=argparse.SUPPRESS)
    parser.add_argument("--duckdb-job", help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        spec = json.loads(args.scenario)
        restatements = spec.get("restatements", True)
        print(json.dumps(run_scenario(spec["paths"], spec["url"], spec["data"], restatements)))
        return
    if args.duckdb:
        print(json.dumps(duckdb_month(args.duckdb)))
        return
    if args.generate:
        files_for(args.generate, args.data, args.formats.split(","))
        print(json.dumps({"generated": args.generate}))
        return
    if args.duckdb_job:
        with tempfile.TemporaryDirectory() as scratch:
            print(json.dumps(duckdb_same_job(args.duckdb_job, scratch)))
        return
    formats = args.formats.split(",")
    compiled()
    print(HEADER)
    print("|" + " --- |" * 14, flush=True)
    for rows in (int(n) for n in args.rows.split(",")):
        # made in a process of their own: a child's peak RSS starts from its parent's
        made = ["--generate", str(rows), "--data", str(args.data), "--formats", args.formats]
        child(__file__, *made)
        paths = files_for(rows, args.data, formats)
        for fmt in formats:
            mine = {
                "month": str(paths[fmt]),
                "resend": str(paths[f"{fmt}-resend"]),
                "fix": str(paths[f"{fmt}-fix"]),
            }
            for backend in args.backends.split(","):
                with tempfile.TemporaryDirectory() as scratch:
                    url, admin = f"sqlite:///{scratch}/bench.db", None
                    if backend == "postgresql":
                        made = postgres_database()
                        if made is None:
                            continue
                        admin, url = made
                    spec = {
                        "paths": mine, "url": url, "data": f"{scratch}/data",
                        "restatements": not args.no_restatements,
                    }  # fmt: skip
                    for path in mine.values():
                        _read_once(path)
                    try:
                        result = child(__file__, "--scenario", json.dumps(spec))
                    finally:
                        if admin is not None:
                            drop_database(admin, url)
                result |= child(__file__, "--duckdb", mine["month"])
                result |= child(__file__, "--duckdb-job", mine["month"])
                assert result["duckdb_job_stored"] == result["stored"], result
                print(_row(rows, fmt, backend, result), flush=True)


if __name__ == "__main__":
    main()
