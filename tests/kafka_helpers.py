"""Reading topics back in tests, the way a subscriber would (kafka-python, no group)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from complaints.envelope import Envelope, decode
from complaints.readmodel.order import sort_key
from complaints.settings import Settings
from complaints.topics import topic_name
from schemas.events import TOPICS, Event
from schemas.registry import MODELS


@dataclass(frozen=True)
class Consumed:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]

    def envelope(self) -> Envelope:
        return decode(self.headers, self.value, self.key)


def read_topic(settings: Settings, topic: str, idle: float = 0.5) -> list[Consumed]:
    """Everything on a topic now: reads until a fetch brings nothing for `idle` seconds."""
    topic = topic_name(settings, topic)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                             fetch_max_wait_ms=50, consumer_timeout_ms=int(idle * 1000))
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        return [Consumed(m.topic, m.partition, m.offset, m.key, m.value, dict(m.headers)) for m in consumer]
    finally:
        consumer.close()


def read_topics(settings: Settings, topics: Iterable[str], idle: float = 0.5) -> list[Consumed]:
    """Everything on these topics now, read by one consumer: until a fetch brings nothing for `idle` seconds
    (one idle wait in all, where `read_topic` on each topic would wait once per topic)."""
    names = [topic_name(settings, topic) for topic in topics]
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                             fetch_max_wait_ms=50, consumer_timeout_ms=int(idle * 1000))
    try:
        tps = [TopicPartition(name, p) for name in names for p in sorted(consumer.partitions_for_topic(name) or set())]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        return [Consumed(m.topic, m.partition, m.offset, m.key, m.value, dict(m.headers)) for m in consumer]
    finally:
        consumer.close()


def wait_for(settings: Settings, topic: str, predicate: Callable[[list[Consumed]], bool],
             timeout: float = 20.0) -> list[Consumed]:
    """Poll a topic until `predicate(records)` holds; fails the test with what was seen."""
    deadline = time.monotonic() + timeout
    records: list[Consumed] = []
    while time.monotonic() < deadline:
        records = read_topic(settings, topic, idle=0.3)
        if predicate(records):
            return records
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting on {topic}; saw {len(records)} records")


def case_events(settings: Settings, complaint_id: str, models: Mapping[str, type[Event]] = MODELS) -> list[Envelope]:
    """Every event of one case on the four topics, once each (a re-published one counted once), in the
    canonical order (complaints/readmodel/order.py)."""
    seen: dict[str, Envelope] = {}
    for record in read_topics(settings, TOPICS, idle=0.2):
        if record.key == complaint_id.encode():
            env = decode(record.headers, record.value, record.key, models=models)
            seen.setdefault(env.id, env)
    return sorted(seen.values(), key=sort_key)  # the canonical order: an effect shares its cause's time
