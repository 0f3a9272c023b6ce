"""Records in: the projected topics and their partitions, and each consumed record classified
(an event to apply, an unknown type to skip and count, or a malformed record to dead-letter)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from complaints.envelope import MalformedEvent, decode
from complaints.readmodel.model import utc
from complaints.settings import Settings
from complaints.topics import topic_name
from schemas.events import TOPICS
from schemas.registry import UnknownEventType
from services.projections.ingest.batch import Item

log = logging.getLogger(__name__)


def classify(rec: Any) -> Item:
    """Decode one consumer record into an Item: apply, skip (unknown) or dead-letter (malformed)."""
    try:
        env = decode(rec.headers, rec.value, rec.key)
        when = utc(env.time)
        if when is not env.time:
            env = replace(env, time=when)  # once here, not at every comparison
        return Item(rec.topic, rec.partition, rec.offset, env, (rec.value or b"").decode(), record=rec).prepare()
    except UnknownEventType as exc:
        skip, detail = "unknown_skipped", str(exc.args[0] if exc.args else "?")
    except MalformedEvent as exc:
        skip, detail = "malformed", str(exc)
    except Exception as exc:  # anything else a bad record provokes
        skip, detail = "malformed", f"{type(exc).__name__}: {exc}"
    return Item(rec.topic, rec.partition, rec.offset, skip=skip, detail=detail, record=rec)


def classify_all(batch: dict[TopicPartition, list[Any]]) -> list[Item]:
    return [classify(rec) for records in batch.values() for rec in records]


def topics_of(settings: Settings) -> list[str]:
    """The four lifecycle topics as named on this installation's broker."""
    return [topic_name(settings, t) for t in TOPICS]


async def discover_partitions(consumer: AIOKafkaConsumer, stop: asyncio.Event, topics: Iterable[str] = TOPICS,
                              timeout: float | None = None) -> list[TopicPartition] | None:
    """Every partition of the topics; waits (re-reading metadata) until all exist. None: stopped."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        await consumer.topics()  # refreshes metadata
        found = {t: consumer.partitions_for_topic(t) for t in topics}
        if all(found.values()):
            return [TopicPartition(t, p) for t, parts in found.items() for p in sorted(parts or ())]
        missing = ", ".join(t for t, p in found.items() if not p)
        if deadline is not None and time.monotonic() > deadline:
            raise RuntimeError(f"topics missing: {missing} (create them with `complaints topics create`)")
        log.warning("waiting for topics: %s", missing)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
            return None
        except TimeoutError:
            continue
