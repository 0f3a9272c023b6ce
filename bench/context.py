"""Run sizes, the run folder, and the figures a run collects."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "deploy" / "policy.yaml"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Sizes:
    """How much each phase does. `quick` is the smoke run, `default` the README run, `full` the issue's sizes."""

    name: str
    partitions: int
    stack_start_runs: int
    producer_records: int
    intake_seconds: float  # closed loop, maximum sustained rate
    intake_fixed_rate: float
    intake_fixed_seconds: float
    intake_concurrency: int
    agent_events: int  # bare faust agent
    latency_rate: float
    latency_seconds: float
    lifecycle_complaints: int  # through intake at the maximum rate, all services running
    solo_complaints: int  # backlog each worker drains alone (vs the bare agent)
    backlog_complaints: int  # published straight to ComplaintReceived, all services running
    target_events: int  # total events the stack should have processed for the memory figure
    timer_cases: tuple[int, int]
    timer_ticks: int
    replay_postgres: bool = True
    #: Seconds to let the services give freed heap back (`complaints.heap`, every 10 s) before RSS is read.
    memory_settle_s: float = 11.0
    console_cases: int = 100_000  # the console's pages with this many cases in the read model
    console_requests: int = 200  # per page and per bare read
    #: Cases of the `read` phase's read model (built through the batch writer, `bench/readgen.py`).
    read_cases: int = 100_000
    #: Seconds the `read` phase's HTTP load runs (8 client processes, live events meanwhile; `bench/readload.py`).
    read_load_s: float = 60.0
    #: Passes of every queue filter × sort per client process (8 × 25 = 200 samples per request: the nearest-rank
    #: p99 is the third slowest, not the one slowest; `bench/read.py`).
    read_queue_passes: int = 25
    #: Faust batches (500 records) per round of the overhead phase's worker rounds (`bench/overhead.py`).
    overhead_batches: int = 4


QUICK = Sizes("quick", partitions=6, stack_start_runs=1, producer_records=2_000, intake_seconds=1,
              intake_fixed_rate=500, intake_fixed_seconds=1, intake_concurrency=16, agent_events=800,
              latency_rate=100, latency_seconds=1.5, lifecycle_complaints=150, solo_complaints=0,
              backlog_complaints=400, target_events=0, timer_cases=(1_000, 5_000), timer_ticks=20,
              memory_settle_s=0.0, console_cases=2_000, console_requests=20,
              read_cases=500, read_load_s=8.0, read_queue_passes=4,
              overhead_batches=1)
DEFAULT = Sizes("default", partitions=6, stack_start_runs=2, producer_records=30_000, intake_seconds=8,
                intake_fixed_rate=500, intake_fixed_seconds=6, intake_concurrency=32, agent_events=15_000,
                latency_rate=100, latency_seconds=15, lifecycle_complaints=3_000, solo_complaints=6_000,
                backlog_complaints=20_000, target_events=0, timer_cases=(1_000, 100_000), timer_ticks=200)
FULL = Sizes("full", partitions=6, stack_start_runs=3, producer_records=100_000, intake_seconds=20,
             intake_fixed_rate=500, intake_fixed_seconds=20, intake_concurrency=32, agent_events=50_000,
             latency_rate=100, latency_seconds=30, lifecycle_complaints=20_000, solo_complaints=20_000,
             backlog_complaints=100_000, target_events=1_000_000, timer_cases=(1_000, 100_000), timer_ticks=300,
             read_cases=1_000_000)
PRESETS = {s.name: s for s in (QUICK, DEFAULT, FULL)}


@dataclass
class Figure:
    """One row of the results table."""

    figure: str
    value: str
    ceiling: str = "—"
    share: str = "—"  # value as a share of the ceiling
    target: str = "—"
    verdict: str = "info"  # "met", "missed" or "info"
    note: str = ""


@dataclass
class Run:
    sizes: Sizes
    folder: Path
    postgres_url: str | None
    keep: bool = False
    profile: bool = False
    shared_db: bool = False
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # per-phase numbers for the detail sections
    notes: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)

    @classmethod
    def create(cls, sizes: Sizes, postgres_url: str | None, keep: bool = False, profile: bool = False,
               folder: Path | None = None) -> Run:
        folder = folder or Path(tempfile.mkdtemp(prefix="complaints-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
        return cls(sizes, folder, postgres_url, keep, profile)

    def sub(self, name: str) -> Path:
        path = self.folder / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        self.say(f"  {figure.figure}: {figure.value}  (ceiling {figure.ceiling}, target {figure.target}) "
                 f"-> {figure.verdict}")

    def say(self, line: str) -> None:
        line = f"[{time.monotonic() - self.t0:6.1f}s] {line}"
        self.log.append(line)
        print(line, flush=True)

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def scratch_schema(postgres_url: str, prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one measurement (its URL, search_path set), dropped afterwards.

    BENCH_KEEP_SCHEMA=1 keeps it (its name is printed) to profile the built model afterwards.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        if os.environ.get("BENCH_KEEP_SCHEMA") == "1":
            print(f"kept PostgreSQL schema {schema}", flush=True)
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
