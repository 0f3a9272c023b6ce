"""Performance plumbing, installed where the service is wired (never inside the fold or the writer).

- `batch_gc` / `under_batch_gc`: the live projector's task (`app.py`), a replay (`replay_async`)
  and each replay shard process (`shard.main`) run under it.
- `give_heap_back`: the live projector's after-batch hook (`app.py`).

Garbage collection tuned for batch work: fewer, later young collections while batches are folded.
A batch holds tens of thousands of live objects (records, envelopes, rows) for a moment.
With CPython's default thresholds (700, 10, 10) they survive young collections, reach the
old generation and trigger full collections of the whole heap: measured ~30 % of a
replay's CPU. A first threshold of 50,000 lets them die young (gen 2 collections went from
21 to 1 in a 68k-event replay); objects alive before the projector started are frozen
out of collection. Only timing changes: cycles are still collected.

Freed heap is given back to the system by `complaints.heap` (`give_heap_back` here; the
workers call it too).

`read_threads`: at most that many reads run at once, in threads (`api/deps.py` `Runtime.read`, every read route). The
reads are CPU work under one GIL; the writer's batch shares it. With the thread pool's default (40 at once),
8 clients' reads in flight starved the writer's thread: on 1M SQLite cases a live batch took 8.5 ms of that
thread's CPU and 77 ms of wall (p50; 313 ms max), the commit lag p50 241 ms, visible lag max 0.9-1.9 s. Two
at once: 4.6 ms CPU / 12 ms wall, commit lag p50 33 ms, visible max 370 ms, and 129 reads/s instead of 83
(fewer threads fighting for one GIL; docs/projections.md, "Reads and the writer in one process").
On SQLite a read's SQL runs in this process, on a core of its own at best; on PostgreSQL it runs in the server
while the thread waits on its socket without the GIL, so more reads in flight there still overlap.

`limit_malloc_arenas`: glibc gives each thread that allocates concurrently an arena of its own (up
to 8 per core), and freed memory stays spread over them. The API reads in a pool of threads, so
under 8 concurrent clients RSS grew 49 MB over the idle service at 30k cases, 22 MB with two
arenas (`bench/readload.py`; the same reads, the same run). `main()` installs it before any thread starts.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
from collections.abc import Awaitable
from typing import TypeVar

from complaints.heap import BATCH_THRESHOLDS, batch_gc, trim, trim_due
from services.projections.storage.store import is_sqlite

__all__ = ["THRESHOLDS", "batch_gc", "give_heap_back", "limit_malloc_arenas", "read_threads",
           "under_batch_gc"]

T = TypeVar("T")

THRESHOLDS = BATCH_THRESHOLDS  # batch_gc is defined once, in complaints.heap (the what-if uses it too)
M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """At most `arenas` malloc arenas for the process's threads (glibc's `mallopt`); False where not available."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover - no C library to load
        return False
    mallopt = getattr(libc, "mallopt", None)
    return bool(mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1)


async def under_batch_gc(work: Awaitable[T]) -> T:
    """Await `work` with the batch thresholds in force."""
    with batch_gc():
        return await work


async def give_heap_back() -> None:
    """After a batch: hand freed heap back to the system when due (at most every 10 s, off the loop)."""
    if trim_due():
        await asyncio.to_thread(trim)


def read_threads(configured: int, database_url: str, cores: int | None = None) -> int:
    """Reads at once: `configured` if set (> 0), else the cores on SQLite, twice the cores elsewhere (at least 2)."""
    if configured > 0:
        return configured
    cores = max(cores or os.cpu_count() or 1, 1)
    return max(2, cores if is_sqlite(database_url) else 2 * cores)

