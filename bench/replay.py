"""Replay: the read model rebuilt from the log (the lifecycle run's four topics), on SQLite and PostgreSQL.

Ceiling: a plain aiokafka consumer reading the same topics from offset 0 with no decoding.
The replay is the product's own (`services.projections.replay.replay_async`), into a fresh
database per run (a unique PostgreSQL schema, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
from contextlib import nullcontext
from typing import Any

from bench.context import Figure, Run, scratch_schema
from bench.kafkaio import consume_all
from bench.procs import profiling
from complaints.settings import Settings
from schemas.events import TOPICS

TARGET_SQLITE = 25_000.0


def _replay(settings: Settings, url: str) -> dict[str, Any]:
    from services.projections.ingest.replay import replay_async

    stats = asyncio.run(replay_async(settings.model_copy(update={"projections_database_url": url})))
    return {"events": stats.events, "seconds": stats.seconds, "per_s": stats.events_per_s,
            "applied": stats.applied, "duplicates": stats.duplicates}


def run_replay(run: Run, settings: Settings) -> None:
    raw = asyncio.run(consume_all(settings, TOPICS))
    run.say(f"raw aiokafka consumption: {raw.per_s:,.0f} records/s ({raw.count:,} records)")
    results: dict[str, Any] = {"raw": {"records": raw.count, "seconds": round(raw.seconds, 2),
                                       "per_s": round(raw.per_s)}}
    spied = profiling(os.getpid(), run.sub("profiles") / "replay-sqlite.spy") if run.profile else nullcontext()
    with spied:  # the bench process and the replay's shard processes
        results["SQLite"] = _replay(settings, f"sqlite:///{run.sub('replay')}/projections.db")
    run.say(f"replay on SQLite: {results['SQLite']}")
    if run.postgres_url:
        with scratch_schema(run.postgres_url, "bench_replay") as url:
            results["PostgreSQL"] = _replay(settings, url)
            run.say(f"replay on PostgreSQL: {results['PostgreSQL']}")
    run.details["replay"] = results
    figures(run, results)


def figures(run: Run, results: dict[str, Any]) -> None:
    raw_per_s = results["raw"]["per_s"]
    for db in ("SQLite", "PostgreSQL"):
        if db not in results:
            continue
        r = results[db]
        target = f"≥ {TARGET_SQLITE:,.0f}/s" if db == "SQLite" else "report"
        verdict = ("met" if r["per_s"] >= TARGET_SQLITE else "missed") if db == "SQLite" else "info"
        note = f"{TARGET_SQLITE / max(r['per_s'], 1):.1f}× short" if verdict == "missed" else ""
        run.add(Figure(f"replay ({db}): events/s rebuilding the read model from offset 0",
                       f"{r['per_s']:,.0f}/s ({r['events']:,} events in {r['seconds']} s)",
                       f"raw aiokafka {raw_per_s:,.0f} records/s", f"{r['per_s'] / raw_per_s:.0%}", target, verdict,
                       note))
