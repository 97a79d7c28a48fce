"""Polars' allocator keeps freed memory for ten seconds in every slaengine process.

Polars sets `_RJEM_MALLOC_CONF` when it is imported (half a second before freed memory goes
back to the system) and appends what was set before it; `slaengine` sets its own decay first,
so that an ingest does not fault its batches' memory back in page by page. Each case runs in
a new process, as a command does, with polars imported after the package.
"""

from __future__ import annotations

import os
import subprocess
import sys

_PROBE = "import os, slaengine, polars; print(os.environ['_RJEM_MALLOC_CONF'])"
OURS = "dirty_decay_ms:10000,muzzy_decay_ms:10000"


def _conf_seen(**extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | extra
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_package_sets_a_ten_second_decay_after_polars_own() -> None:
    settings = _conf_seen().split(",")
    # polars' defaults first, ours after them: jemalloc takes the last value of each option
    assert settings[-2:] == OURS.split(",")
    assert settings.index("dirty_decay_ms:500") < settings.index("dirty_decay_ms:10000")


def test_a_setting_of_the_user_is_kept() -> None:
    settings = _conf_seen(_RJEM_MALLOC_CONF="dirty_decay_ms:0").split(",")
    assert settings[-1] == "dirty_decay_ms:0"
    assert "dirty_decay_ms:10000" not in settings
