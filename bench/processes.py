"""What the benches share: a child process per scenario (its peak RSS its own) and a scratch
PostgreSQL database per run (skipped, saying why, where no server answers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any


def compiled() -> None:
    """slaengine's modules compiled once, as pip compiles an installed package's (see
    `child`): no child then compiles them inside a timed step."""
    import compileall
    from pathlib import Path

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "slaengine", quiet=1)


def child(script: str, *arguments: str) -> dict[str, Any]:
    """Run `script` with `arguments` in a new Python process; its last line, as JSON.

    The child keeps the modules it compiles, as an installed package does (pip compiles them;
    PYTHONDONTWRITEBYTECODE, set on some machines, would have each child compile slaengine's
    modules again, inside the timed steps for those imported on first use)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, script, *arguments], capture_output=True, text=True, check=False,
        env=environment,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def postgres_database() -> tuple[str, str] | None:
    """(admin URL, URL of a new empty database), or None when SLAENGINE_TEST_POSTGRES_URL is
    not set or no server answers (said on stderr)."""
    admin = os.environ.get("SLAENGINE_TEST_POSTGRES_URL")
    if not admin:
        print("PostgreSQL skipped: SLAENGINE_TEST_POSTGRES_URL is not set", file=sys.stderr)
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"slaengine_bench_{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except Exception as error:  # no server: skip PostgreSQL, say why
        print(f"PostgreSQL skipped: {error}", file=sys.stderr)
        return None
    return admin, make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_database(admin: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        name = make_url(url).database
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
