"""Freed heap given back to the system.

Batch work allocates and frees tens of megabytes of mid-sized objects (records, payloads,
case documents). glibc keeps most of that freed memory mapped, so a process's RSS creeps up
after each burst although nothing is live: ~50 MB over a 1M-event catch-up of the projector,
and 30-40 MB in a worker draining a 100k-complaint backlog. `trim` hands it back
(`malloc_trim`); callers run it when `trim_due`, at most every 10 s, off the event loop.
A no-op where the C library has no such call.

`batch_gc`: garbage collection tuned for batch work (the projector, a replay, the what-if):
fewer, later young collections, and the objects alive before the batch frozen out of
collection (services/projections/tuning.py has the measurements). Only timing changes:
cycles are still collected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return getattr(libc, "malloc_trim", None)  # type: ignore[no-any-return]
    except OSError:  # pragma: no cover - no C library to load
        return None


_trim = _malloc_trim()
_last_trim = 0.0


def trim_due(every_s: float = 10.0) -> bool:
    """Time to give freed heap back (at most every `every_s` seconds; never without `malloc_trim`)."""
    return _trim is not None and time.monotonic() - _last_trim >= every_s


def trim() -> None:
    """Give freed heap memory back to the system (takes a few milliseconds: call it off the event loop)."""
    global _last_trim
    _last_trim = time.monotonic()
    if _trim is not None:
        _trim(0)


BATCH_THRESHOLDS = (50_000, 20, 20)
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
            gc.set_threshold(*(max(a, b) for a, b in zip(BATCH_THRESHOLDS, _saved, strict=True)))
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                gc.unfreeze()
