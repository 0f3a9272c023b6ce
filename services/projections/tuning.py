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

`limit_malloc_arenas`: glibc gives each thread that allocates concurrently an arena of its own (up
to 8 per core), and freed memory stays spread over them. The API reads in a pool of threads, so
under 8 concurrent clients RSS grew 49 MB over the idle service at 30k cases, 22 MB with two
arenas (`bench/readload.py`; the same reads, the same run). `main()` installs it before any thread starts.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections.abc import Awaitable
from typing import TypeVar

from complaints.heap import BATCH_THRESHOLDS, batch_gc, trim, trim_due

__all__ = ["THRESHOLDS", "batch_gc", "give_heap_back", "limit_malloc_arenas", "under_batch_gc"]

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
