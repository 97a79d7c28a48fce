"""How long a person waits for the commands that read what is already computed.

Run: .venv/bin/python bench/commands.py [--rows 1000000] [--repeat 5]

A SQLite catalogue is made in a scratch folder with acme-l1, a month of synthetic contacts
(bench/columnar.py's) and October's final result stored; then `slaengine evaluate` of that
month (its stored result read back), `contract list` and `run history` run as a person runs
them, each a new process, `--repeat` times. Prints the best and the median wall time of each,
and the heavy packages it imported: none should be there (a stored month's `evaluate` reads
its result back through SQLAlchemy Core, without the contract models, polars or holidays).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.columnar import files_for  # noqa: E402

COMMANDS = {
    "evaluate (stored month)": [
        "evaluate", "acme-l1", "--period", "2026-10", "--json",
        "--as-of", "2026-12-01T00:00:00+00:00",
    ],
    "contract list": ["contract", "list"],
    "run history": ["run", "history"],
    "relief list": ["relief", "list"],
}  # fmt: skip
HEAVY = ("alembic", "pandera", "reportlab", "polars", "pyarrow", "sqlmodel", "pydantic", "holidays")
_PROBE = (
    "import sys; from slaengine.cli import main\n"
    "try: main(sys.argv[1:], prog_name='slaengine')\n"
    "finally: print('imported:', sorted({n.split('.')[0] for n in sys.modules}"
    f" & set({HEAVY!r})), file=sys.stderr)"
)


def stored_month(rows: int, folder: Path, scratch: Path) -> dict[str, str]:
    """The environment of a catalogue holding October's contacts and final result."""
    url = f"sqlite:///{scratch / 'commands.db'}"
    environment = os.environ | {
        "SLAENGINE_DATABASE_URL": url,
        "SLAENGINE_DATA_URL": str(scratch / "data"),
        "COLUMNS": "80",
    }
    os.environ["SLAENGINE_DATA_URL"] = environment["SLAENGINE_DATA_URL"]
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import load_contracts
    from slaengine.services.evaluation import run_evaluation
    from slaengine.services.feeds import ingest_feed

    engine = make_engine(url)
    create_schema(engine)
    load_contracts(engine, [ROOT / "contracts" / "acme-l1.yaml"])
    ingest_feed(engine, "acme-l1", "contacts", files_for(rows, folder, ["csv"])["csv"])
    run_evaluation(engine, "acme-l1", "2026-10", as_of=datetime(2026, 12, 1, tzinfo=UTC))
    engine.dispose()
    return environment


def timed(arguments: list[str], environment: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *arguments],
        capture_output=True, text=True, env=environment, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return seconds, done.stderr.strip().splitlines()[-1]


def _bare_start(environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=environment, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path("/tmp/slaengine-bench"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        environment = stored_month(args.rows, args.data, Path(scratch))
        # as a person runs them: an installed package keeps its compiled modules (pip writes
        # them; PYTHONDONTWRITEBYTECODE, set on some machines, would have every command
        # compile slaengine's modules again); one run first writes them
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        timed(COMMANDS["contract list"], environment)
        print(f"| command ({args.rows / 1e6:g}M contacts stored) | best s | median s | imports |")
        print("| --- | --- | --- | --- |")
        bare = [_bare_start(environment) for _ in range(args.repeat)]
        print(f"| python start-up alone | {min(bare):.2f} | {statistics.median(bare):.2f} | |")
        for name, arguments in COMMANDS.items():
            runs = [timed(arguments, environment) for _ in range(args.repeat)]
            seconds = [run[0] for run in runs]
            print(
                f"| {name} | {min(seconds):.2f} | {statistics.median(seconds):.2f}"
                f" | {json.dumps(runs[-1][1].removeprefix('imported: '))} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
