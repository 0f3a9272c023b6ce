"""What a scenario's figures are made of: the read model's view of each complaint, and every record
on the four topics (for divergent duplicates: the same ce_id with different bytes)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from complaints.settings import Settings
from complaints.topics import dlq, topic_name
from schemas.events import TOPICS
from services.projections.storage.store import Catalog


class ReadModel:
    """The read model's database, read directly (what every projections replica serves)."""

    def __init__(self, url: str) -> None:
        self.catalog = Catalog(url)

    def statuses(self) -> dict[str, str]:
        gen = self.catalog.active()
        if gen is None:
            return {}
        t = gen.tables
        # The catalog's own engine, not the generation's recorded location: the services wrote their
        # (proxied) URL there, and the suite must keep measuring while it cuts that proxy.
        engine = self.catalog.engine if not self.catalog.url.startswith("sqlite") else gen.engine
        with engine.connect() as conn:
            return {r.complaint_id: r.status for r in conn.execute(select(t.cases.c.complaint_id, t.cases.c.status))}

    def dispose(self) -> None:
        self.catalog.dispose()


@dataclass
class Topics:
    records: int = 0
    duplicates: int = 0  # the same ce_id again, byte-identical (harmless: consumers de-duplicate)
    divergent: list[str] = field(default_factory=list)  # the same ce_id with different bytes
    received: set[str] = field(default_factory=set)  # complaint ids with a ComplaintReceived
    dead_letters: int = 0  # records on the `<topic>.dlq` topics


async def scan_topics(settings: Settings, ignore: set[str], quiet_s: float = 3.0) -> Topics:
    """Every record of the four topics (read until none arrives for `quiet_s`: the embedded broker's
    end offsets can be too low), ignoring event ids in `ignore` (the fuzzer's poison)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        names = [topic_name(settings, t) for t in TOPICS]
        dlqs = {dlq(n) for n in names}
        tps = [TopicPartition(n, p) for n in [*names, *sorted(dlqs)]
               for p in sorted(consumer.partitions_for_topic(n) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen: dict[str, set[bytes]] = defaultdict(set)
        types: dict[str, str] = {}
        out = Topics()
        last = time.monotonic()
        while time.monotonic() - last < quiet_s:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                for rec in records:
                    last = time.monotonic()
                    if tp.topic in dlqs:
                        out.dead_letters += 1
                        continue
                    headers = dict(rec.headers or ())
                    ce_id = (headers.get("ce_id") or b"").decode("utf-8", "replace")
                    if not ce_id or ce_id in ignore:
                        continue
                    out.records += 1
                    if seen[ce_id] and rec.value in seen[ce_id]:
                        out.duplicates += 1
                    seen[ce_id].add(rec.value or b"")
                    types[ce_id] = (headers.get("ce_type") or b"?").decode("utf-8", "replace")
                    if tp.topic == topic_name(settings, "ComplaintReceived") and rec.key:
                        out.received.add(rec.key.decode("utf-8", "replace"))
        out.divergent = sorted(f"{types[i]}:{i}" for i, values in seen.items() if len(values) > 1)
        return out
    finally:
        await consumer.stop()


@dataclass
class Progress:
    """Sampled every `every` s: how many accepted complaints have reached the expected outcome."""

    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, accepted, done)

    def longest_stall(self, after: float = 0.0) -> float:
        """Longest time with complaints outstanding and no progress, counted from `after`."""
        longest, best, mark = 0.0, -1, 0.0
        for t, accepted, done in self.samples:
            if done > best or accepted <= done:
                best, mark = max(best, done), t
                continue
            if t >= after:
                longest = max(longest, t - max(mark, after))
        return longest


async def sample(progress: Progress, count: Callable[[], tuple[int, int]], stop: asyncio.Event,
                 every: float = 0.5) -> None:
    while not stop.is_set():
        accepted, done = await asyncio.to_thread(count)
        progress.samples.append((time.monotonic(), accepted, done))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
