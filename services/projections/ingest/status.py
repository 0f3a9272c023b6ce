"""What the live projector reports about itself (`/health`, the liveness bound, the writer's time)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ProjectorStatus:
    running: bool = False
    generation: int | None = None
    partitions: int = 0
    batches: int = 0
    last_batch_at: datetime | None = None
    last_error: str | None = None  # kept until a batch is applied again
    parked: int = 0
    highwater: dict[str, int] = field(default_factory=dict)
    failing_since: float | None = None  # monotonic: the first failure since the last applied batch
    progress_at: float = field(default_factory=time.monotonic)  # the last applied batch (or the start)
    rebuilding: bool = False  # replaying into this release's read-model shape (`ingest/upgrade.py`)
    #: Writing batches, since start: seconds of wall clock in the writing thread, and of that thread's CPU.
    #: Wall far above CPU: the writes waited (for the GIL behind reads in this process, or for the database).
    write_s: float = 0.0
    write_cpu_s: float = 0.0

    def timed(self, write: Callable[[], object]) -> None:
        """Run `write` (in the writing thread), adding its wall and CPU time to the totals."""
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        try:
            write()
        finally:
            self.write_cpu_s += time.thread_time() - cpu0
            self.write_s += time.perf_counter() - wall0

    def stuck(self, bound_s: float, lagging: bool, now: float | None = None) -> str | None:
        """Why the projector is stuck (failing, or records waiting and no batch) for longer than the bound."""
        now = time.monotonic() if now is None else now
        if self.failing_since is not None and now - self.failing_since > bound_s:
            return f"failing for {now - self.failing_since:.0f} s: {self.last_error}"
        if lagging and not self.rebuilding and now - self.progress_at > bound_s:
            return f"records are waiting and no batch was applied for {now - self.progress_at:.0f} s"
        return None
