"""The live projector: every partition of the four topics, manually assigned, one transaction per batch.

No consumer group and no Kafka-committed offsets: the read model stores its own
offsets (in the same transaction as the changes) and the consumer seeks to them on
start and whenever a replay swaps in a new generation. Unknown types are skipped and
counted; malformed records go to `<topic>.dlq` (error and origin in headers) first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from complaints.broker.profile import get_profile
from complaints.envelope import MalformedEvent, decode
from complaints.kafka.dlq import dead_letter
from complaints.kafka.producer import EventProducer
from complaints.settings import Settings
from complaints.topics import topic_name
from schemas.events import TOPICS
from schemas.registry import UnknownEventType
from services.projections import queries
from services.projections.aligner import Aligner
from services.projections.model import utc
from services.projections.options import ProjectionOptions
from services.projections.store import Catalog, Generation
from services.projections.writer import Item, PoisonEvents, apply_batch

log = logging.getLogger(__name__)
SERVICE = "projections"


def classify(rec: Any) -> Item:
    """Decode one consumer record into an Item: apply, skip (unknown) or dead-letter (malformed)."""
    base = Item(rec.topic, rec.partition, rec.offset, record=rec)
    try:
        env = decode(rec.headers, rec.value, rec.key)
        env = replace(env, time=utc(env.time))  # once here, not at every comparison
        return replace(base, envelope=env, payload=(rec.value or b"").decode())
    except UnknownEventType as exc:
        return replace(base, skip="unknown_skipped", detail=str(exc.args[0] if exc.args else "?"))
    except MalformedEvent as exc:
        return replace(base, skip="malformed", detail=str(exc))
    except Exception as exc:  # anything else a bad record provokes
        return replace(base, skip="malformed", detail=f"{type(exc).__name__}: {exc}")


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


@dataclass
class ProjectorStatus:
    running: bool = False
    generation: int | None = None
    partitions: int = 0
    batches: int = 0
    last_batch_at: datetime | None = None
    last_error: str | None = None
    highwater: dict[str, int] = field(default_factory=dict)


class LiveProjector:
    def __init__(self, settings: Settings, catalog: Catalog, options: ProjectionOptions) -> None:
        self.settings = settings
        self.catalog = catalog
        self.options = options
        self.status = ProjectorStatus()
        self._committed: asyncio.Event | None = None

    def wake(self) -> asyncio.Event:
        """An event set at the next commit (read-your-writes waiters sleep on it)."""
        if self._committed is None:
            self._committed = asyncio.Event()
        return self._committed

    def _pulse(self) -> None:
        current, self._committed = self._committed, asyncio.Event()
        if current is not None:
            current.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Project until `stop` is set; any failure is logged, shown in /health, and retried."""
        while not stop.is_set():
            try:
                await self._run(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("projector failed; restarting in 1 s")
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                self.status.running = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def _run(self, stop: asyncio.Event) -> None:
        profile = get_profile(self.settings)
        consumer = AIOKafkaConsumer(**profile.aiokafka_consumer(self.settings, None), client_id=SERVICE)
        producer = EventProducer(self.settings)
        await consumer.start()
        try:
            await producer.start()
            tps = await discover_partitions(consumer, stop, topics_of(self.settings))
            if tps is None:
                return
            consumer.assign(tps)
            gen = await asyncio.to_thread(self.catalog.ensure_active)
            aligner = Aligner(consumer, tps)
            await self._seek(consumer, aligner, gen, tps)
            self.status.running, self.status.partitions, self.status.last_error = True, len(tps), None
            checked = time.monotonic()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=self.options.poll_timeout_ms,
                                               max_records=self.options.batch_max_records)
                if time.monotonic() - checked >= self.options.generation_check_s:
                    checked = time.monotonic()
                    current = await asyncio.to_thread(self.catalog.active)
                    if current is not None and current.id != gen.id:  # a replay swapped in a new generation
                        log.info("switching to generation %s", current.id)
                        gen = current
                        await self._seek(consumer, aligner, gen, tps)
                        continue  # this batch was read for the old generation's offsets
                self.status.highwater = {f"{tp.topic}:{tp.partition}": hw for tp in tps
                                         if (hw := consumer.highwater(tp)) is not None}
                # In event-time order across partitions (see aligner.py), one transaction per batch.
                ready = aligner.feed(batch, self.options.batch_max_records)
                if ready:
                    await self._apply(gen, await asyncio.to_thread(classify_all, ready), producer)
        finally:
            self.status.running = False
            await consumer.stop()
            await producer.stop()

    async def _seek(self, consumer: AIOKafkaConsumer, aligner: Aligner, gen: Generation,
                    tps: list[TopicPartition]) -> None:
        stored = await asyncio.to_thread(queries.offsets, gen)
        positions = {tp: stored.get((tp.topic, tp.partition), 0) for tp in tps}
        for tp, offset in positions.items():
            consumer.seek(tp, offset)
        aligner.reset(positions)
        self.status.generation = gen.id

    async def _apply(self, gen: Generation, items: list[Item], producer: EventProducer) -> None:
        for item in items:
            if item.skip == "malformed":
                await self._dead_letter(producer, item, MalformedEvent(item.detail))
        while True:
            try:
                await asyncio.to_thread(apply_batch, gen, items)
                break
            except PoisonEvents as poison:
                bad = {id(i) for i, _ in poison.items}
                for item, exc in poison.items:
                    await self._dead_letter(producer, item, exc)
                items = [replace(i, skip="malformed", detail="projector failed") if id(i) in bad else i
                         for i in items]
        self.status.batches += 1
        self.status.last_batch_at = datetime.now(UTC)
        self._pulse()

    async def _dead_letter(self, producer: EventProducer, item: Item, error: BaseException) -> None:
        rec = item.record
        headers = [(k, v) for k, v in (rec.headers or ()) if v is not None]
        await dead_letter(producer, service=SERVICE, topic=item.topic, partition=item.partition, offset=item.offset,
                          key=rec.key, value=rec.value, headers=headers, error=error)
