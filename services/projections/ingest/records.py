"""Records in: the projected topics and their partitions, and each consumed record classified
(an event to apply, an unknown type to skip and count, or a malformed record to dead-letter)
into a `Classified`, the unit the writer works on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from complaints.envelope import Envelope, MalformedEvent, decode
from complaints.readmodel.model import SortKey, utc
from complaints.readmodel.order import sort_key
from complaints.readmodel.timeline import entry_json
from complaints.settings import Settings
from complaints.topics import topic_name
from schemas.events import TOPICS
from schemas.registry import ALL_MODELS, UnknownEventType

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Classified:
    """One consumed record: an envelope to apply, or the counter name it is skipped under."""

    topic: str
    partition: int
    offset: int
    envelope: Envelope | None = None
    payload: str = ""
    skip: str | None = None  # "unknown_skipped" or "malformed"
    detail: str = ""  # the unknown type, or the error
    record: Any = field(default=None, compare=False, repr=False)  # the consumer record (for dead letters)
    #: Worked out while decoding (off the writer's thread, by `classify`) when given; else by the writer.
    key: SortKey | None = field(default=None, compare=False, repr=False)
    entry: str = field(default="", compare=False, repr=False)  # the timeline entry as JSON

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def env(self) -> Envelope:
        assert self.envelope is not None
        return self.envelope


def classify(rec: Any) -> Classified:
    """Decode one consumer record: apply, skip (unknown) or dead-letter (malformed).

    An event's sort key and timeline entry are worked out here too, on the decoding thread,
    so the writer's thread does not."""
    try:
        env = decode(rec.headers, rec.value, rec.key, models=ALL_MODELS)  # the customer's answers too
        when = utc(env.time)
        if when is not env.time:
            env = replace(env, time=when)  # once here, not at every comparison
        position = f"{rec.topic}:{rec.partition}:{rec.offset}"
        return Classified(rec.topic, rec.partition, rec.offset, env, (rec.value or b"").decode(), record=rec,
                        key=sort_key(env), entry=entry_json(env, position))
    except UnknownEventType as exc:
        skip, detail = "unknown_skipped", str(exc.args[0] if exc.args else "?")
    except MalformedEvent as exc:
        skip, detail = "malformed", str(exc)
    except Exception as exc:  # anything else a bad record provokes
        skip, detail = "malformed", f"{type(exc).__name__}: {exc}"
    return Classified(rec.topic, rec.partition, rec.offset, skip=skip, detail=detail, record=rec)


def classify_all(batch: dict[TopicPartition, list[Any]]) -> list[Classified]:
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
