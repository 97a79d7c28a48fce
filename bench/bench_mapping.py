"""Time the Anonymous Bank mapping on the real month (42,078 calls): read, map, report.

Run: .venv/bin/python bench/bench_mapping.py [path to august1999_calls.csv]
Prints the median of 5 runs of apply_mapping, the read time, and the kept/dropped counts.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from slaengine.adapters.feeds.mapping import apply_mapping, load_mapping
from slaengine.adapters.feeds.readers import read_feed_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "anonymous-bank-1999-08" / "august1999_calls.csv"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    started = time.perf_counter()
    frame = read_feed_file(path)
    read_seconds = time.perf_counter() - started
    mapping = load_mapping(ROOT / "contracts" / "mappings" / "anonymous-bank.toml")
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        result = apply_mapping(frame, mapping)
        runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    print(f"rows {frame.height}: kept {result.frame.height}, dropped {len(result.dropped)}")
    print(f"read {read_seconds:.3f} s; apply_mapping median {median:.3f} s "
          f"({frame.height / median:,.0f} rows/s)")  # fmt: skip


if __name__ == "__main__":
    main()
