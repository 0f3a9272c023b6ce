"""Raw broker I/O for the bench: bulk produce (the producer ceiling) and raw consumption (the replay ceiling)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from complaints.broker.profile import get_profile
from complaints.envelope import Record
from complaints.settings import Settings


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


async def produce(settings: Settings, records: Sequence[Record], *, topic: str | None = None,
                  window: int = 5000) -> Rate:
    """Send records with the services' producer settings (acks=all, the profile's linger); wait for every ack.

    At most `window` records are in flight (unacked), as a real producer's buffer would allow.
    """
    producer = AIOKafkaProducer(**get_profile(settings).aiokafka_producer(settings),
                                max_batch_size=256 * 1024)
    await producer.start()
    try:
        started = time.perf_counter()
        pending: list[asyncio.Future[object]] = []
        for r in records:
            pending.append(await producer.send(topic or r.topic, r.value, key=r.key, headers=r.headers))
            if len(pending) >= window:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return Rate(len(records), time.perf_counter() - started)
    finally:
        await producer.stop()


async def consume_all(settings: Settings, topics: Sequence[str], expected: int | None = None,
                      idle_ms: int = 1500) -> Rate:
    """Read the topics from offset 0 with a plain aiokafka consumer (no decoding): records/s.

    Stops at `expected` records, or when a fetch brings nothing for `idle_ms` (the idle wait is
    not counted in the time).
    """
    profile = get_profile(settings)
    consumer = AIOKafkaConsumer(**profile.aiokafka_consumer(settings, None), client_id="bench-raw",
                                max_partition_fetch_bytes=4 * 2**20, fetch_max_bytes=64 * 2**20)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        count = 0
        started = time.perf_counter()
        last = started
        while expected is None or count < expected:
            batch = await consumer.getmany(timeout_ms=idle_ms, max_records=10000)
            if not batch:
                break
            count += sum(len(v) for v in batch.values())
            last = time.perf_counter()
        return Rate(count, last - started)
    finally:
        await consumer.stop()
