"""Freed heap given back to the system.

Batch work allocates and frees tens of megabytes of mid-sized objects (records, payloads,
case documents). glibc keeps most of that freed memory mapped, so a process's RSS creeps up
after each burst although nothing is live: ~50 MB over a 1M-event catch-up of the projector,
and 30-40 MB in a worker draining a 100k-complaint backlog. `trim` hands it back
(`malloc_trim`); callers run it when `trim_due`, at most every 10 s, off the event loop.
A no-op where the C library has no such call.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from collections.abc import Callable


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
