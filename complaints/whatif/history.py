"""Every case's recorded events, read once from the lifecycle topics (from the beginning, no group)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from kafka import KafkaConsumer, TopicPartition

from complaints.domain.whatif import Recorded
from complaints.envelope import MalformedEvent, decode
from complaints.settings import Settings
from complaints.topics import admin_kwargs, topic_name
from schemas.events import TOPICS, ComplaintReceived
from schemas.registry import UnknownEventType


def read_history(settings: Settings, start: datetime | None = None, end: datetime | None = None,
                 idle_ms: int = 1000) -> list[list[Recorded]]:
    """The cases received in [start, end) with all their events; undecodable records are skipped."""
    kwargs = admin_kwargs(settings)
    kwargs.pop("request_timeout_ms", None)
    consumer = KafkaConsumer(**kwargs, enable_auto_commit=False, fetch_max_wait_ms=100, consumer_timeout_ms=idle_ms)
    cases: dict[str, list[Recorded]] = defaultdict(list)
    try:
        tps = [TopicPartition(topic_name(settings, t), p) for t in TOPICS
               for p in sorted(consumer.partitions_for_topic(topic_name(settings, t)) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        if any(ends.values()):
            for m in consumer:
                try:
                    env = decode(dict(m.headers), m.value, m.key)
                except (MalformedEvent, UnknownEventType):
                    continue
                cases[env.subject].append((env.event, env.time))
                if all(consumer.position(tp) >= ends[tp] for tp in tps):
                    break
    finally:
        consumer.close()
    return [events for events in cases.values() if _received_in(events, start, end)]


def _received_in(events: list[Recorded], start: datetime | None, end: datetime | None) -> bool:
    received = next((e for e, _ in events if isinstance(e, ComplaintReceived)), None)
    if received is None:
        return False
    return (start is None or received.received_at >= start) and (end is None or received.received_at < end)
