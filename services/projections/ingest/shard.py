"""A replay shard: some partitions read from offset 0 to their end into one generation.

A replay splits the partitions by partition number (all four topics' partition N go
together: records are keyed by complaint id, so with equal partition counts a case's
events share a number) and runs one shard in its own process per group, the first in
the calling process, so decoding and folding use every core. Shards write the same
generation one batch transaction at a time (each takes SQLite's write lock / the counters
row lock first), so correctness does not depend on that grouping: a case whose events
land in two shards is refolded like any late event.

`python -m services.projections.ingest.shard` runs one shard: a pickled `Shard` on stdin, the
pickled (events read, BatchResult) on stdout.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from complaints.broker.profile import get_profile
from complaints.readmodel.casedoc import FirstResponse, policy_first_response
from complaints.settings import Settings
from services.projections.ingest.aligner import Aligner
from services.projections.ingest.pipeline import WriteAhead
from services.projections.ingest.records import classify_all
from services.projections.ingest.writer import BatchResult, Classified, PoisonEvents, apply_batch
from services.projections.options import ProjectionOptions
from services.projections.storage.store import Catalog, Generation
from services.projections.tuning import batch_gc


@dataclass(frozen=True)
class Shard:
    settings: Settings
    generation: int
    location: str
    partitions: list[tuple[str, int]]
    options: ProjectionOptions
    stall_s: float
    optimistic: bool = False  # fold before taking the write lock (other shards write meanwhile)


def split(partitions: list[TopicPartition], shards: int) -> list[list[TopicPartition]]:
    groups: dict[int, list[TopicPartition]] = {}
    for tp in partitions:
        groups.setdefault(tp.partition % max(1, shards), []).append(tp)
    return [groups[k] for k in sorted(groups)]


async def run(shard: Shard, catalog: Catalog) -> tuple[int, BatchResult]:
    """Read the shard's partitions from offset 0 to their end into its generation: (events read, totals)."""
    gen = Generation(shard.generation, shard.location, "building", catalog.engine_for(shard.location, bulk=True))
    profile = get_profile(shard.settings)
    consumer = AIOKafkaConsumer(**profile.aiokafka_consumer(shard.settings, None), client_id="projections-replay",
                                fetch_max_bytes=shard.options.fetch_max_bytes)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, partition) for topic, partition in shard.partitions]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        idle_ms = max(300, 4 * profile.fetch_max_wait_ms)
        return await _project_log(consumer, tps, gen, shard, idle_ms)
    finally:
        await consumer.stop()


async def run_elsewhere(shard: Shard) -> tuple[int, BatchResult]:
    """Run a shard in a process of its own."""
    root = str(Path(__file__).resolve().parents[2])  # where `services` is importable from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.projections.ingest.shard", env=env,
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await proc.communicate(pickle.dumps(shard))
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"replay shard {shard.partitions[:1]}… failed:\n{err.decode(errors='replace')[-3000:]}")
    result: tuple[int, BatchResult] = pickle.loads(out)
    return result


async def _project_log(consumer: AIOKafkaConsumer, tps: list[TopicPartition], gen: Generation, shard: Shard,
                       idle_ms: int) -> tuple[int, BatchResult]:
    """Read the partitions from their start to their end, in batches of up to `replay_batch_records`:
    the next batch fills while the previous one is written."""
    options, stall_s = shard.options, shard.stall_s
    sla = policy_first_response(shard.settings.policy_file)
    ends = await consumer.end_offsets(tps)
    aligner = Aligner(consumer, tps, options.align_buffer_records)
    aligner.reset(dict.fromkeys(tps, 0))
    most, events, totals, pending = options.replay_batch_records, 0, BatchResult(), list[Classified]()
    writes: WriteAhead[BatchResult] = WriteAhead()
    idle_since = time.monotonic()
    try:
        while True:
            room = most - len(pending)
            batch = await consumer.getmany(timeout_ms=10 if pending else idle_ms, max_records=aligner.fetch_size(room))
            ready = aligner.feed(batch, room)
            if ready:
                pending += await asyncio.to_thread(classify_all, ready)
            if batch or ready:
                idle_since = time.monotonic()
            if pending and (len(pending) >= most or not writes.busy or not batch):
                events += len(pending)
                add(totals, await writes.submit(asyncio.to_thread(_apply, gen, pending, shard.optimistic, sla)))
                pending = []
            elif not batch and not ready and not aligner.buffered():
                fetched = {tp: await consumer.position(tp) for tp in tps}  # counts skipped control records too
                if all(fetched[tp] >= ends[tp] for tp in tps):
                    break  # at the reported end and a fetch brought nothing more
                if time.monotonic() - idle_since > stall_s:
                    short = {f"{tp.topic}:{tp.partition}": (fetched[tp], ends[tp])
                             for tp in tps if fetched[tp] < ends[tp]}
                    raise RuntimeError(f"replay stalled {stall_s:.0f} s short of the end offsets (at, end): {short}")
        add(totals, await writes.drain())
    except BaseException:
        await writes.abandon()  # never leave a write running behind the catalog's back
        raise
    return events, totals


def add(totals: BatchResult, result: BatchResult | None) -> None:
    if result is None:
        return
    totals.applied += result.applied
    totals.duplicates += result.duplicates
    totals.refolds += result.refolds
    totals.counters.update(result.counters)


def _apply(gen: Generation, items: list[Classified], optimistic: bool, first_response: FirstResponse) -> BatchResult:
    """Apply, counting events the projector rejects (the live projector dead-lettered them already)."""
    while True:
        try:
            return apply_batch(gen, items, optimistic, first_response)
        except PoisonEvents as poison:
            bad = {id(i) for i, _ in poison.items}
            items = [replace(i, skip="malformed", detail="projector failed") if id(i) in bad else i for i in items]


def main() -> None:
    shard: Shard = pickle.load(sys.stdin.buffer)
    out, sys.stdout = sys.stdout, sys.stderr  # the result is the only thing on stdout

    async def go() -> tuple[int, BatchResult]:
        catalog = Catalog(shard.settings.projections_database_url)
        try:
            return await run(shard, catalog)
        finally:
            catalog.dispose()

    with batch_gc():
        result = asyncio.run(go())
    out.buffer.write(pickle.dumps(result))
    out.flush()


if __name__ == "__main__":
    main()
