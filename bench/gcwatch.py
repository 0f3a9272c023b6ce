"""Garbage-collection pauses inside timed reads: how much of a slow answer was a collection.

    with GcWatch() as gc_clock:
        t0 = gc_clock.paused_ms; ...read...; paused = gc_clock.paused_ms - t0

A `gc.callbacks` hook times every collection while the block runs (by generation, worst pause), so a
figure's slowest sample can be told apart from a collection of the process's heap that landed in it.
"""

from __future__ import annotations

import gc
import time
from types import TracebackType
from typing import Any


class GcWatch:
    def __init__(self) -> None:
        self.paused_ms = 0.0
        self.worst_ms = 0.0
        self.collections = [0, 0, 0]
        self._t0 = 0.0

    def _hook(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
            return
        ms = (time.perf_counter() - self._t0) * 1000
        self.paused_ms += ms
        self.worst_ms = max(self.worst_ms, ms)
        self.collections[info["generation"]] += 1

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._hook)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        gc.callbacks.remove(self._hook)

    def summary(self) -> dict[str, Any]:
        return {"collections_by_generation": list(self.collections), "paused_ms": round(self.paused_ms, 1),
                "worst_pause_ms": round(self.worst_ms, 1)}
