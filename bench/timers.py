"""SLA timers: the cost of one scheduler tick with nothing due, at 1,000 and at 100,000 open cases.

Rows are seeded straight into a worker's `CaseStore` (a real case state as the row's state, due
times spread over the next days, so nothing is due), then the worker's own tick runs: the index
query `CaseStore.due` and `Worker._tick` around it (partition ownership, the thread hop, the loop).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.context import POLICY, Figure, Run, scratch_schema
from bench.mix import Mix
from complaints.domain import escalation
from complaints.domain.case import evolve
from complaints.domain.intake import received_event_id
from complaints.domain.policy import load_policy
from complaints.settings import Settings
from complaints.worker.decider import LifecycleDecider
from complaints.worker.runtime import Worker
from complaints.worker.store import CaseStore, cases

TARGET_RATIO = 1.5


def _sample_state() -> str:
    policy = load_policy(POLICY)
    body = Mix(policy, seed=1).complaint().body
    event = Mix.received(body, "sample", policy)
    state = evolve(None, event, received_event_id("sample"), event.received_at)
    return state.model_dump_json()


def _seed(store: CaseStore, n: int, partitions: int, state: str) -> None:
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    with store.engine.begin() as conn:
        for i in range(n):
            rows.append({"service": store.service, "complaint_id": f"seed-{i:07d}", "partition": i % partitions,
                         "state": state, "due_at": now + timedelta(hours=1, seconds=i % 86_400), "version": 1})
            if len(rows) == 5000:
                conn.execute(insert(cases), rows)
                rows.clear()
        if rows:
            conn.execute(insert(cases), rows)
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE worker_cases"))  # as autovacuum would, in steady state


def _time_ticks(store: CaseStore, worker: Worker, partitions: int, ticks: int) -> dict[str, float]:
    owned = set(range(partitions))
    query, tick = [], []
    for _ in range(5):  # warm the page cache and the statement cache
        store.due(owned, datetime.now(UTC))
    for _ in range(ticks):
        t = time.perf_counter()
        assert store.due(owned, datetime.now(UTC)) == []
        query.append((time.perf_counter() - t) * 1e6)

    async def ticking() -> None:
        for _ in range(ticks):
            t = time.perf_counter()
            await worker.tick()
            tick.append((time.perf_counter() - t) * 1e6)

    asyncio.run(ticking())
    return {"query_us": round(statistics.median(query), 1), "tick_us": round(statistics.median(tick), 1),
            "query_p90_us": round(sorted(query)[int(len(query) * 0.9)], 1)}


def measure(run: Run, url: str, label: str) -> dict[int, Any]:
    s = run.sizes
    state = _sample_state()
    out: dict[int, Any] = {}
    for n in s.timer_cases:
        store = CaseStore(url, f"bench-{n}")
        settings = Settings(kafka_bootstrap_servers="127.0.0.1:1", database_url=url, broker_profile="tansu")
        worker = Worker(f"bench-{n}", settings, LifecycleDecider(load_policy(POLICY), escalation.react,
                                                                 escalation.on_tick, escalation.next_due))
        worker.store = store
        worker.owned_partitions = lambda: set(range(s.partitions))  # type: ignore[method-assign]
        _seed(store, n, s.partitions, state)
        out[n] = _time_ticks(store, worker, s.partitions, s.timer_ticks)
        store.engine.dispose()
    run.say(f"timers on {label}: {out}")
    return out


def run_timers(run: Run) -> None:
    results = {"SQLite": measure(run, f"sqlite:///{run.sub('timers')}/cases.db", "SQLite")}
    if run.postgres_url:
        with scratch_schema(run.postgres_url, "bench_timers") as url:
            results["PostgreSQL"] = measure(run, url, "PostgreSQL")
    run.details["timers"] = {k: {str(n): v for n, v in r.items()} for k, r in results.items()}
    figures(run, run.details["timers"])


def figures(run: Run, timers: dict[str, dict[str, dict[str, float]]]) -> None:
    for db, by_size in timers.items():
        sizes = sorted(by_size, key=int)
        small, large = int(sizes[0]), int(sizes[-1])
        r = {int(n): v for n, v in by_size.items()}
        ratio = r[large]["tick_us"] / r[small]["tick_us"]
        qratio = r[large]["query_us"] / r[small]["query_us"]
        run.add(Figure(
            f"SLA timers ({db}): one tick with nothing due, at {large:,} open cases",
            f"tick {r[large]['tick_us']:.0f} µs (query {r[large]['query_us']:.0f} µs)",
            f"same tick at {small:,}: {r[small]['tick_us']:.0f} µs (query {r[small]['query_us']:.0f} µs)",
            f"{ratio:.2f}× (query {qratio:.2f}×)", f"≤ {TARGET_RATIO}× the cost at {small:,}",
            "met" if ratio <= TARGET_RATIO else "missed"))
