"""Replay: rebuild the read model from offset 0 into a fresh generation, then swap it in.

Reads keep being served from the active generation while the new one is built (a
sibling SQLite file, or `_g<N>` tables in PostgreSQL); the swap is one catalog
update, picked up by readers on their next request and by the live projector within
`generation_check_s`, which then continues from the new generation's own offsets.

The partitions are read by up to `replay_processes` shards, one process each (see
shard.py; one per `replay_records_per_process` records in the log, since starting one
costs about a second). The generation is built in bulk (`storage/bulk.py`: no fsync per batch, the
indexes only reads use created at the end) and made durable before the swap. "Caught up" is judged
by position >= end offset AND a fetch that brings nothing more: the embedded broker reports end
offsets too low when the last batch holds several records, so the end offset alone would stop early.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.engine import make_url

from complaints.broker.profile import get_profile
from complaints.settings import Settings
from services.projections.ingest import shard
from services.projections.ingest.records import discover_partitions, topics_of
from services.projections.ingest.shard import Shard, split
from services.projections.ingest.writer import BatchResult
from services.projections.options import ProjectionOptions
from services.projections.storage.bulk import finish
from services.projections.storage.store import Catalog
from services.projections.tuning import under_batch_gc

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ReplayStats:
    events: int  # records read from the log (applied, duplicate or skipped)
    seconds: float
    events_per_s: float
    applied: int
    duplicates: int
    skipped: int
    refolds: int  # cases refolded because an event arrived after a later one of the same case
    generation: int
    location: str


def replay(settings: Settings, target_url: str | None = None) -> ReplayStats:
    """Rebuild from the log into a fresh generation (at `target_url` if given) and swap it in."""
    return asyncio.run(replay_async(settings, target_url))


async def replay_async(settings: Settings, target_url: str | None = None,
                       options: ProjectionOptions | None = None, *, stall_s: float = 10.0) -> ReplayStats:
    """The replay's entry point: the batch gc thresholds are installed here, around the work."""
    return await under_batch_gc(_replay(settings, target_url, options or ProjectionOptions.from_settings(settings),
                                        stall_s))


async def _replay(settings: Settings, target_url: str | None, options: ProjectionOptions,
                  stall_s: float) -> ReplayStats:
    catalog = Catalog(settings.projections_database_url)
    gen = await asyncio.to_thread(catalog.create, target_url, True)  # bulk: see storage/bulk.py
    try:
        tps, records = await _partitions(settings)
        processes = min(options.replay_processes, max(1, records // max(1, options.replay_records_per_process)))
        groups = split(tps, processes) or [[]]
        shards = [Shard(settings, gen.id, gen.location, [(tp.topic, tp.partition) for tp in group], options, stall_s,
                        optimistic=len(groups) > 1) for group in groups]
        started = time.monotonic()
        results = await _all([shard.run(shards[0], catalog), *map(shard.run_elsewhere, shards[1:])])
        events, totals = sum(n for n, _ in results), BatchResult()
        for _, result in results:
            shard.add(totals, result)
        await asyncio.to_thread(finish, gen)  # its deferred indexes, and durable, before it serves
        seconds = time.monotonic() - started
        await asyncio.to_thread(catalog.activate, gen.id, events, seconds)
        await asyncio.to_thread(catalog.cleanup)
    except BaseException:
        await asyncio.to_thread(catalog.mark_failed, gen.id)
        raise
    finally:
        catalog.dispose()
    skipped = totals.counters["unknown_skipped"] + totals.counters["malformed"]
    location = make_url(gen.location).render_as_string(hide_password=True)
    rate = events / seconds if seconds else 0.0
    log.info("replay: %d events in %.2f s (%.0f/s) into generation %d", events, seconds, rate, gen.id)
    return ReplayStats(events, round(seconds, 3), round(rate, 1), totals.applied,
                       totals.duplicates, skipped, totals.refolds, gen.id, location)


async def _all(jobs: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every job's result; when one fails, the others are cancelled (and waited for) before it is raised."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _partitions(settings: Settings) -> tuple[list[TopicPartition], int]:
    """Every partition to replay, and about how many records they hold."""
    consumer = AIOKafkaConsumer(**get_profile(settings).aiokafka_consumer(settings, None),
                                client_id="projections-replay")
    await consumer.start()
    try:
        tps = await discover_partitions(consumer, asyncio.Event(), topics_of(settings), timeout=30.0) or []
        return tps, sum((await consumer.end_offsets(tps)).values()) if tps else 0
    finally:
        await consumer.stop()
