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
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from complaints.heap import trim, trim_due

T = TypeVar("T")

THRESHOLDS = (50_000, 20, 20)
_lock = threading.Lock()
_users = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def batch_gc() -> Iterator[None]:
    """Raise the collection thresholds while inside (nested and concurrent uses share one setting)."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*(max(a, b) for a, b in zip(THRESHOLDS, _saved, strict=True)))
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                gc.unfreeze()


async def under_batch_gc(work: Awaitable[T]) -> T:
    """Await `work` with the batch thresholds in force."""
    with batch_gc():
        return await work


async def give_heap_back() -> None:
    """After a batch: hand freed heap back to the system when due (at most every 10 s, off the loop)."""
    if trim_due():
        await asyncio.to_thread(trim)
