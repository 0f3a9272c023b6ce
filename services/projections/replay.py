"""Replay: rebuild the read model from offset 0 into a fresh generation, then swap it in.

Reads keep being served from the active generation while the new one is built (a
sibling SQLite file, or `_g<N>` tables in PostgreSQL); the swap is one catalog
update, picked up by readers on their next request and by the live projector within
`generation_check_s`, which then continues from the new generation's own offsets.

"Caught up" is judged by position >= end offset AND a fetch that brings nothing
more: the embedded broker reports end offsets too low when the last batch holds
several records, so the end offset alone would stop early.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace

from aiokafka import AIOKafkaConsumer
from sqlalchemy.engine import make_url

from complaints.broker.profile import get_profile
from complaints.settings import Settings
from services.projections.aligner import Aligner
from services.projections.consumer import classify_all, discover_partitions, topics_of
from services.projections.options import ProjectionOptions
from services.projections.store import Catalog, Generation
from services.projections.writer import BatchResult, Item, PoisonEvents, apply_batch

log = logging.getLogger(__name__)


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
    options = options or ProjectionOptions.from_settings(settings)
    catalog = Catalog(settings.projections_database_url)
    gen = await asyncio.to_thread(catalog.create, target_url)
    profile = get_profile(settings)
    idle_ms = max(300, 4 * profile.fetch_max_wait_ms)
    consumer = AIOKafkaConsumer(**profile.aiokafka_consumer(settings, None), client_id="projections-replay")
    totals = BatchResult()
    events = 0
    try:
        await consumer.start()
        stop = asyncio.Event()
        tps = await discover_partitions(consumer, stop, topics_of(settings), timeout=30.0) or []
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        ends = await consumer.end_offsets(tps)
        aligner = Aligner(consumer, tps)
        aligner.reset(dict.fromkeys(tps, 0))
        started = time.monotonic()
        idle_since = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=idle_ms, max_records=options.replay_batch_records)
            ready = aligner.feed(batch, options.replay_batch_records)
            if not batch and not ready and not aligner.buffered():
                fetched = {tp: await consumer.position(tp) for tp in tps}  # counts skipped control records too
                if all(fetched[tp] >= ends[tp] for tp in tps):
                    break  # at the reported end and a fetch brought nothing more
                if time.monotonic() - idle_since > stall_s:
                    short = {f"{tp.topic}:{tp.partition}": (fetched[tp], ends[tp])
                             for tp in tps if fetched[tp] < ends[tp]}
                    raise RuntimeError(f"replay stalled {stall_s:.0f} s short of the end offsets (at, end): {short}")
                continue
            idle_since = time.monotonic()
            if not ready:
                continue
            items = await asyncio.to_thread(classify_all, ready)
            result = await asyncio.to_thread(_apply, gen, items)
            totals.applied += result.applied
            totals.duplicates += result.duplicates
            totals.refolds += result.refolds
            totals.counters.update(result.counters)
            events += len(items)
        seconds = time.monotonic() - started
        await asyncio.to_thread(catalog.activate, gen.id, events, seconds)
        await asyncio.to_thread(catalog.cleanup)
    except BaseException:
        await asyncio.to_thread(catalog.mark_failed, gen.id)
        raise
    finally:
        await consumer.stop()
        catalog.dispose()
    skipped = totals.counters["unknown_skipped"] + totals.counters["malformed"]
    location = make_url(gen.location).render_as_string(hide_password=True)
    rate = events / seconds if seconds else 0.0
    log.info("replay: %d events in %.2f s (%.0f/s) into generation %d", events, seconds, rate, gen.id)
    return ReplayStats(events, round(seconds, 3), round(rate, 1), totals.applied,
                       totals.duplicates, skipped, totals.refolds, gen.id, location)


def _apply(gen: Generation, items: list[Item]) -> BatchResult:
    """Apply, counting events the projector rejects (the live projector dead-lettered them already)."""
    while True:
        try:
            return apply_batch(gen, items)
        except PoisonEvents as poison:
            bad = {id(i) for i, _ in poison.items}
            items = [replace(i, skip="malformed", detail="projector failed") if id(i) in bad else i for i in items]
