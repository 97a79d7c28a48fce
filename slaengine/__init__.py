"""slaengine: vendor and outsourcing SLA compliance engine."""

import os

__version__ = "0.1.0"

# Polars' allocator (jemalloc) hands freed memory back to the system after half a second,
# as polars configures it when imported (`_RJEM_MALLOC_CONF`, to which polars appends what is
# set before it is imported): an ingest, which frees a batch's memory and asks for as much
# again for the next, then faults every page back in (600,000 page faults and 2 s of system
# time for 10M contacts). Ten seconds, jemalloc's own default, keeps the memory for the next
# batch and still hands it back once the work is done (the scheduler's process included).
# Set before any module of the package imports polars; a value set by the user is kept.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:10000")
