"""Liveness: every consumer loop and timer reports its progress; a stall beyond a bound is named.

A loop marks each unit of work (`working(name)`): a consumed round, a timer tick. It is stalled
when a unit has not finished within the bound (a dead-letter publish retried forever, a wait
that never ends), and a periodic loop (a timer) also when no unit has *succeeded* within the
bound (every tick failing on a database error, or the task gone). `/health` answers 503 naming
each stalled loop; the bound is `COMPLAINTS_LIVENESS_BOUND_S`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Loop:
    name: str
    periodic: bool
    since: float  # registered at (monotonic)
    busy_since: float | None = None
    last_ok: float | None = None
    last_error: str | None = None
    units: int = 0


class Liveness:
    def __init__(self, bound_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.bound_s = bound_s
        self.clock = clock
        self.loops: dict[str, Loop] = {}

    def register(self, name: str, periodic: bool = False) -> Loop:
        return self.loops.setdefault(name, Loop(name, periodic, self.clock()))

    @contextmanager
    def working(self, name: str) -> Iterator[None]:
        """One unit of work of the loop `name`; its failure is recorded (and re-raised)."""
        loop = self.register(name)
        loop.busy_since = self.clock()
        try:
            yield
        except Exception as exc:
            loop.last_error = f"{type(exc).__name__}: {exc}"[:300]
            raise
        else:
            loop.last_ok, loop.last_error = self.clock(), None
        finally:
            loop.busy_since = None
            loop.units += 1

    def stalled(self) -> dict[str, str]:
        """Each stalled loop, with why."""
        now, out = self.clock(), {}
        for loop in self.loops.values():
            if loop.busy_since is not None and now - loop.busy_since > self.bound_s:
                out[loop.name] = f"one unit of work has not finished for {now - loop.busy_since:.0f} s"
            elif loop.periodic and now - (loop.last_ok or loop.since) > self.bound_s:
                why = f"; last error: {loop.last_error}" if loop.last_error else ""
                out[loop.name] = f"no successful run for {now - (loop.last_ok or loop.since):.0f} s{why}"
        return out

    def report(self) -> dict[str, Any]:
        now = self.clock()
        return {"bound_s": self.bound_s, "stalled": self.stalled(), "loops": {
            name: {"busy_s": None if lp.busy_since is None else round(now - lp.busy_since, 1),
                   "since_ok_s": None if lp.last_ok is None else round(now - lp.last_ok, 1),
                   "last_error": lp.last_error, "units": lp.units} for name, lp in self.loops.items()}}
