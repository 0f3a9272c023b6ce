"""Rebuild the notifier's cases and ledger from the topics alone (offset 0), planning no message.

The live consumer and this rebuild fold the same events with the same function and the events'
own times, so the rebuilt ledger equals the live one (tests/integration/notifier). Nothing is
sent: a rebuild never plans deliveries. Usage: `complaints notifier-rebuild --into <database url>`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition

from complaints.envelope import MalformedEvent, decode
from complaints.settings import Settings
from complaints.topics import admin_kwargs, topic_name
from schemas.events import TOPICS
from schemas.registry import ALL_MODELS, UnknownEventType
from services.notifier.case import CustomerCase, fold
from services.notifier.store import NotifierStore


def rebuild(settings: Settings, url: str, idle: float = 1.0) -> NotifierStore:
    """Fold every event on the four topics into a fresh store at `url` (read until `idle` s bring nothing)."""
    store = NotifierStore(url)
    consumer = KafkaConsumer(**admin_kwargs(settings), enable_auto_commit=False, fetch_max_wait_ms=50,
                             consumer_timeout_ms=int(idle * 1000))
    cases: dict[str, CustomerCase] = {}
    try:
        parts = [TopicPartition(topic_name(settings, t), p) for t in TOPICS
                 for p in sorted(consumer.partitions_for_topic(topic_name(settings, t)) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        for record in consumer:
            try:
                env = decode(record.headers, record.value, record.key, models=ALL_MODELS)
            except (UnknownEventType, MalformedEvent):  # skipped or dead-lettered live too
                continue
            cases[env.complaint_id] = fold(cases.get(env.complaint_id), env.event, env.id, env.time)
    finally:
        consumer.close()
    store.save({cid: (case, 0) for cid, case in cases.items()}, [], datetime.now(UTC))
    return store
