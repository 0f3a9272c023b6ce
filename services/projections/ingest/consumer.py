"""The live projector: every partition of the four topics, manually assigned, one transaction per batch.

No consumer group and no Kafka-committed offsets: the read model stores its own
offsets (in the same transaction as the changes) and the consumer seeks to them on
start and whenever a replay swaps in a new generation. Unknown types are skipped and
counted; malformed records are parked (the `parked` table of the projections database,
`complaints.parking`) and copied to `<topic>.dlq` (error and origin in headers, bounded tries).
A batch the database refuses for a reason retrying cannot fix (a value too long for a column,
a constraint) is applied again one record at a time: the record it refuses alone is parked,
the others are projected, and the projector carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from aiokafka import AIOKafkaConsumer, TopicPartition

from complaints.broker.profile import get_profile
from complaints.envelope import MalformedEvent
from complaints.kafka.dlq import dead_letter_bounded
from complaints.kafka.producer import EventProducer
from complaints.parking import ParkingLot, safe_error
from complaints.readmodel.casedoc import policy_first_response
from complaints.settings import Settings
from complaints.worker.retry import persist, transient
from services.projections.ingest.aligner import Aligner
from services.projections.ingest.pipeline import WriteAhead
from services.projections.ingest.records import classify_all, discover_partitions, topics_of
from services.projections.ingest.status import ProjectorStatus
from services.projections.ingest.upgrade import upgraded
from services.projections.ingest.writer import Classified, PoisonEvents, apply_batch
from services.projections.options import ProjectionOptions
from services.projections.storage import queries
from services.projections.storage.store import Catalog, Generation

log = logging.getLogger(__name__)
SERVICE = "projections"


class LiveProjector:
    def __init__(self, settings: Settings, catalog: Catalog, options: ProjectionOptions,
                 after_batch: Callable[[], Awaitable[None]] | None = None) -> None:
        """`after_batch` runs after each committed batch (the wiring installs heap trimming there)."""
        self.settings = settings
        self.catalog = catalog
        self.options = options
        self.first_response = policy_first_response(settings.policy_file)  # new cases' SLA, as escalation sets it
        self.after_batch = after_batch
        self.status = ProjectorStatus()
        self.parking = ParkingLot(catalog.engine)
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
                self.status.last_error = f"{type(exc).__name__}: {safe_error(exc)}"[:500]
                if self.status.failing_since is None:
                    self.status.failing_since = time.monotonic()
                self.status.running = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def _run(self, stop: asyncio.Event) -> None:
        profile = get_profile(self.settings)
        consumer = AIOKafkaConsumer(**profile.aiokafka_consumer(self.settings, None), client_id=SERVICE,
                                    fetch_max_bytes=self.options.fetch_max_bytes)
        producer = EventProducer(self.settings)
        await consumer.start()
        try:
            await producer.start()
            tps = await discover_partitions(consumer, stop, topics_of(self.settings))
            if tps is None:
                return
            consumer.assign(tps)
            gen = await upgraded(await asyncio.to_thread(self.catalog.ensure_active), self.catalog, self.settings,
                                 self.options, self.status)
            aligner = Aligner(consumer, tps, self.options.align_buffer_records)
            await self._seek(consumer, aligner, gen, tps)
            self.status.running, self.status.partitions = True, len(tps)
            checked = time.monotonic()
            writes: WriteAhead[None] = WriteAhead()
            # the next batch fills while one is written
            most, pending = self.options.batch_max_records, list[Classified]()
            try:
                while not stop.is_set():
                    room = most - len(pending)
                    batch = await consumer.getmany(timeout_ms=10 if pending else self.options.poll_timeout_ms,
                                                   max_records=aligner.fetch_size(room))
                    if time.monotonic() - checked >= self.options.generation_check_s:
                        checked = time.monotonic()
                        current = await asyncio.to_thread(self.catalog.active)
                        if current is not None and current.id != gen.id:  # a replay swapped in a new generation
                            log.info("switching to generation %s", current.id)
                            await writes.drain()
                            gen, pending = current, []  # what was read is read again from the new offsets
                            await self._seek(consumer, aligner, gen, tps)
                            continue
                    self.status.highwater = {f"{tp.topic}:{tp.partition}": hw for tp in tps
                                             if (hw := consumer.highwater(tp)) is not None}
                    # In event-time order across partitions (see aligner.py), one transaction per batch.
                    ready = aligner.feed(batch, room)
                    if ready:
                        pending += await asyncio.to_thread(classify_all, ready)
                    if pending and (len(pending) >= most or not writes.busy or not batch):
                        await writes.submit(self._apply(gen, pending, producer))
                        pending = []
                await writes.drain()
            except BaseException:
                await writes.abandon()
                raise
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

    async def _apply(self, gen: Generation, items: list[Classified], producer: EventProducer) -> None:
        for item in items:
            if item.skip == "malformed":
                await self._dead_letter(producer, item, MalformedEvent(item.detail))
        try:
            await self._apply_batch(gen, items, producer)
        except Exception as exc:
            if transient(exc):
                raise  # the database is down: the run loop reports it and starts again from the stored offsets
            log.warning("the database refused a batch of %d records (%s); applying them one at a time",
                        len(items), type(exc).__name__)
            for item in items:
                try:
                    await self._apply_batch(gen, [item], producer)
                except Exception as alone:
                    if transient(alone):
                        raise
                    await self._dead_letter(producer, item, alone)
                    await self._apply_batch(gen, [replace(item, skip="malformed", detail="not storable")], producer)
        self.status.batches += 1
        self.status.last_batch_at = datetime.now(UTC)
        self.status.progress_at, self.status.failing_since, self.status.last_error = time.monotonic(), None, None
        self._pulse()
        if self.after_batch is not None:
            await self.after_batch()

    async def _apply_batch(self, gen: Generation, items: list[Classified], producer: EventProducer) -> None:
        while True:
            try:
                await asyncio.to_thread(self.status.timed, partial(apply_batch, gen, items, False,
                                                                   self.first_response))
                return
            except PoisonEvents as poison:
                bad = {id(i) for i, _ in poison.items}
                for item, exc in poison.items:
                    await self._dead_letter(producer, item, exc)
                items = [replace(i, skip="malformed", detail="projector failed") if id(i) in bad else i
                         for i in items]

    async def _dead_letter(self, producer: EventProducer, item: Classified, error: BaseException) -> None:
        """Park the record (waiting out a database outage: never lost), then copy it to its `.dlq` (bounded)."""
        rec, error = item.record, safe_error(error)
        headers = [(k, v) for k, v in (rec.headers or ()) if v is not None]
        await persist(f"{SERVICE}: parking {item.position}", lambda: asyncio.to_thread(
            self.parking.park, SERVICE, item.topic, item.partition, item.offset, rec.key, rec.value, headers, error),
            lambda: None)
        self.status.parked += 1
        await dead_letter_bounded(producer, service=SERVICE, topic=item.topic, partition=item.partition,
                                  offset=item.offset, key=rec.key, value=rec.value, headers=headers, error=error)
