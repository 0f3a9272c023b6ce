"""The deployments the read load runs against (`bench/readload.py`), each process started like production.

- `readers=0`, one process: `complaints run projections` serves every read and projects the live events
  (the default deployment; on SQLite the only process that writes the file).
- `readers=N`, split: one process projects (`writer`: the lease holder on PostgreSQL, the one writer of
  the file on SQLite) and serves no client, and N processes with `COMPLAINTS_PROJECTIONS_ROLE=reader`
  serve every read from the same read model (SQLite in WAL mode lets other processes read while one
  writes). The writer's loop and GIL are then its own: no read waits in front of a commit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.procs import Proc, Services

READER_ENV = {"COMPLAINTS_PROJECTIONS_ROLE": "reader"}


def deployment_name(readers: int) -> str:
    """How the figures name the deployment with `readers` reader processes."""
    return "one process" if not readers else f"1 writer + {readers} reader process{'es' if readers > 1 else ''}"


@dataclass
class Deployment:
    readers: int
    groups: dict[str, Services] = field(default_factory=dict)  # process name -> its Services (one each)

    @classmethod
    def start(cls, env: dict[str, str], folder: Path, readers: int) -> Deployment:
        """Start the writer (or the one process), wait until it writes, then the readers."""
        out = cls(readers)
        try:
            first = "projections" if readers == 0 else "writer"
            out.groups[first] = Services(env, folder / first).start("projections")
            _wait_writer(out.groups[first]["projections"])
            for k in range(1, readers + 1):
                out.groups[f"reader-{k}"] = Services(env, folder / f"reader-{k}", overrides={
                    "projections": READER_ENV}).start("projections")
        except BaseException:
            out.stop()
            raise
        return out

    @property
    def procs(self) -> dict[str, Proc]:
        """Every process of the deployment by name."""
        return {name: services["projections"] for name, services in self.groups.items()}

    @property
    def serving(self) -> list[Proc]:
        """The processes the clients read from: the readers, else the one process."""
        procs = self.procs
        return [p for name, p in procs.items() if name.startswith("reader-")] or list(procs.values())

    def dead(self) -> str | None:
        """The log tail of a process that exited, if one did."""
        return next((f"{name} exited:\n{p.tail()}" for name, p in self.procs.items() if not p.alive()), None)

    def stop(self) -> None:
        for services in reversed(list(self.groups.values())):
            services.stop()


def _wait_writer(proc: Proc, timeout: float = 60.0) -> None:
    """Until the process says it is the writer (on PostgreSQL: it holds the lease; readers start after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{proc.url}/health", timeout=2).json().get("role") == "writer":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not become the writer in {timeout:g} s:\n{proc.tail()}")
