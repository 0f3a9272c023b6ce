"""Readable lines from a topic, for `complaints tail`."""

from __future__ import annotations

import json
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition

from complaints.envelope import MalformedEvent, decode
from complaints.settings import Settings
from complaints.topics import admin_kwargs, topic_name
from schemas.registry import ALL_MODELS, UnknownEventType


def format_record(topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None,
                  headers: dict[str, bytes], raw: bool = False) -> str:
    where = f"{topic}:{partition}:{offset}"
    try:
        env = decode(headers, value, key, models=ALL_MODELS)
    except (MalformedEvent, UnknownEventType) as exc:
        return f"{where} undecodable ({type(exc).__name__}: {exc}) key={key!r}"
    data = (value or b"").decode() if raw else json.dumps(
        env.event.model_dump(mode="json", exclude_none=True, exclude={"complaint_id", "personal", "comment"}))
    return f"{env.time.isoformat()} {where} {env.type} id={env.id} complaint={env.subject} {data}"


def tail_topic(settings: Settings, topic: str, follow: bool = True, raw: bool = False) -> Iterator[str]:
    topic = topic_name(settings, topic)
    kwargs = admin_kwargs(settings)
    kwargs.pop("request_timeout_ms", None)
    consumer = KafkaConsumer(**kwargs, enable_auto_commit=False, fetch_max_wait_ms=100,
                             consumer_timeout_ms=None if follow else 1000)
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            raise SystemExit(f"no topic {topic!r} (try `complaints topics verify`)")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        for m in consumer:
            yield format_record(m.topic, m.partition, m.offset, m.key, m.value, dict(m.headers), raw)
    finally:
        consumer.close()
