"""How long a timed request waited for a CPU: the kernel's run-queue delay (`/proc/<pid>/schedstat`).

A request's wall time is the time it ran, the time it waited on I/O, and the time it was ready to run but
every core was busy: the run-queue delay. On a machine with fewer cores than runnable processes (the read
phase's 8 client processes, their database backends and the writer on 2 cores) the last one is the
machine's, not the query's. `RunWait` reads it for this thread and, on PostgreSQL, for every server backend
this process's engine has used (the client waits on its socket while the backend waits for a core).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def schedstat(path: str) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable waiting for one) a schedstat file reports; (0, 0) where there is none.
    The first is updated only at the task's ticks and switches (4 ms steps for a running task); the second at
    each switch onto a CPU, so exact for the caller and for a backend asleep between queries."""
    try:
        on_cpu, waiting, _ = Path(path).read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(on_cpu) / 1e9, int(waiting) / 1e9


class RunWait:
    """The run-queue delay of this thread and of the engine's PostgreSQL backends, summed."""

    def __init__(self, engine: Engine) -> None:
        self.backends: set[int] = set()
        if engine.dialect.name == "postgresql":
            event.listen(engine, "checkout", self._checked_out)

    def _checked_out(self, dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        pid = getattr(getattr(dbapi_conn, "info", None), "backend_pid", None)  # psycopg 3: no query needed
        if isinstance(pid, int):
            self.backends.add(pid)

    def seconds(self) -> float:
        own = schedstat("/proc/thread-self/schedstat")[1]
        return own + sum(schedstat(f"/proc/{pid}/schedstat")[1] for pid in self.backends)
