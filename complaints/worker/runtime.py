"""Run a pure decider as a faust worker: decode → load state → decide → publish → evolve → save.

Batches (`stream.take_events`): one query loads the cases, `batch.plan` decides each case's
events in order, one send publishes the outputs (acked), one transaction saves the cases.

Delivery guarantees:
- every record is acked: an error of the event dead-letters it (`<topic>.dlq`, with its
  origin); a broker or database outage is waited out (`retry.py`);
- a redelivered event (its id already applied to the case) changes nothing;
- outputs are published (and acked by the broker) before the state that records
  them is saved, so a crash can only re-publish the same deterministic events;
- timers only look at cases in the partitions this process owns;
- per-case order: a case's events are decided in the order they were consumed, and the
  next batch starts only when this one is saved;
- a failed batch, and any case another replica changed meanwhile, is redone one event
  at a time by `act`, which reloads the case.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from functools import partial
from typing import Any

from complaints.domain.case import CaseState
from complaints.domain.decisions import Emit
from complaints.envelope import Envelope, Record, decode, encode
from complaints.heap import trim, trim_due
from complaints.kafka.dlq import dead_letter
from complaints.kafka.producer import EventProducer, Position
from complaints.settings import Settings
from complaints.topics import topic_name
from complaints.worker.batch import Item, by_case, plan
from complaints.worker.decider import LifecycleDecider
from complaints.worker.faust_app import create_faust_app
from complaints.worker.recent import RecentlyEmitted
from complaints.worker.retry import Backoff, persist, transient
from complaints.worker.store import CaseStore, Conflict
from schemas.events import TOPICS
from schemas.registry import UnknownEventType

log = logging.getLogger(__name__)


#: Most events handled in one batch, and the longest a partial batch waits for more.
BATCH_MAX = 500
BATCH_WITHIN_S = 0.01


class Worker:
    def __init__(self, service: str, settings: Settings, decider: LifecycleDecider,
                 tick_interval: float = 1.0, batch_max: int = BATCH_MAX,
                 batch_within: float = BATCH_WITHIN_S) -> None:
        self.service = service
        self.settings = settings
        self.decider = decider
        self.store = CaseStore(settings.database_url, service)
        self._producer: EventProducer | None = None  # created in start(): it needs the running loop
        self.app = create_faust_app(f"{settings.topic_prefix}complaints-{service}", settings)
        self.tick_interval = tick_interval
        self._received_topic = topic_name(settings, TOPICS[0])
        self.batch_max = batch_max
        self.batch_within = batch_within
        self.counters = {"processed": 0, "duplicates": 0, "skipped_unknown": 0, "dead_lettered": 0, "emitted": 0,
                         "batches": 0, "batch_fallbacks": 0, "conflicts": 0, "retries": 0}
        self._locks = [asyncio.Lock() for _ in range(256)]
        self.recent = RecentlyEmitted()  # our own events, saved: their echo is a known duplicate
        self.extras: dict[str, Any] = {}  # service-specific adapters (e.g. the PII vault)
        self.joined = False  # set once the consumer group assigned this process its partitions
        self.app.on_rebalance_complete.connect(self._on_rebalance_complete)  # type: ignore[arg-type]
        topic = self.app.topic(*(topic_name(settings, t) for t in TOPICS), key_serializer="raw",
                               value_serializer="raw")
        self.app.agent(topic, name=f"{service}-lifecycle")(self._agent)
        self.app.timer(tick_interval)(self._tick)

    # lifecycle -----------------------------------------------------------
    @property
    def producer(self) -> EventProducer:
        if self._producer is None:
            raise RuntimeError(f"{self.service} worker is not started")
        return self._producer

    async def start(self) -> None:
        self._producer = EventProducer(self.settings)
        await self._producer.start()
        await self.app.start()

    async def stop(self) -> None:
        await self.app.stop()
        await self.producer.stop()

    async def _on_rebalance_complete(self, sender: Any, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        self.joined = True

    async def health(self) -> tuple[bool, dict[str, Any]]:
        broker = await self.producer.healthy() if self._producer else False
        return broker and self.joined, {"broker": broker, "joined": self.joined,
                                        "partitions": sorted(self.owned_partitions())}

    def owned_partitions(self) -> set[int]:
        try:
            return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == self._received_topic}
        except Exception:  # consumer not started yet
            return set()

    # core step -----------------------------------------------------------
    def _lock_index(self, complaint_id: str) -> int:
        return zlib.crc32(complaint_id.encode()) % len(self._locks)

    def _lock(self, complaint_id: str) -> asyncio.Lock:
        return self._locks[self._lock_index(complaint_id)]

    async def act(self, complaint_id: str, decide: Callable[[CaseState | None], Sequence[Emit]],
                  partition: int | None = None, cause: tuple[Any, str, datetime] | None = None,
                  ) -> list[Position]:
        """Load the case, run `decide`, publish its events, then save the evolved state.

        `cause` is the consumed event (applied to the state with the outputs); a
        cause already applied is a redelivery and does nothing. Retries on a
        concurrent update by another replica.
        """
        async with self._lock(complaint_id):
            for _ in range(20):
                raw, version, stored_partition = await asyncio.to_thread(self.store.load, complaint_id)
                state = self.decider.load(raw) if raw else None
                if cause and state is not None and self.decider.is_applied(state, cause[1]):
                    self.counters["duplicates"] += 1
                    return []
                emits = list(decide(state))
                positions = await self.producer.publish([self._encode(e) for e in emits])
                if cause:
                    state = self.decider.evolve(state, cause[0], cause[1], cause[2])
                now = datetime.now(UTC)
                for e in emits:
                    state = self.decider.evolve(state, e.event, e.event_id, now)
                if state is None:
                    return positions
                part = stored_partition if stored_partition is not None else (partition or 0)
                try:
                    await asyncio.to_thread(self.store.save, complaint_id, part, self.decider.dump(state),
                                            self.decider.next_due(state), version)
                except Conflict:
                    continue
                self.counters["emitted"] += len(emits)
                self.recent.add(e.event_id for e in emits)
                return positions
        raise RuntimeError(f"case {complaint_id}: too many concurrent updates")

    def _encode(self, emit: Emit) -> Record:
        return encode(emit.event, event_id=emit.event_id, source=f"/complaints/{self.service}",
                      causation_id=emit.causation_id, correlation_id=emit.event.complaint_id)

    async def _agent(self, stream: Any) -> None:
        async for events in stream.take_events(self.batch_max, within=self.batch_within):
            await self.handle_batch([event.message for event in events])

    async def handle_batch(self, messages: Sequence[Any]) -> None:
        """Decode, decide and apply a batch of records; never raises (faust would ack and lose them)."""
        decoded: list[Item] = []
        for msg in messages:
            if self.recent.echo(msg.headers):
                self.counters["processed"] += 1
                self.counters["duplicates"] += 1
                continue
            try:
                decoded.append((msg, decode(msg.headers or [], msg.value, msg.key)))
            except UnknownEventType:
                self.counters["skipped_unknown"] += 1
            except Exception as exc:
                await self._dead_letter(msg, exc)
        if not decoded:
            return
        try:
            redo = await self._apply_batch(decoded)
            self.counters["batches"] += 1
        except Exception:
            log.exception("%s: a batch of %d events failed; redoing it one event at a time", self.service,
                          len(decoded))
            self.counters["batch_fallbacks"] += 1
            redo = decoded
        for msg, env in redo:
            await self._one(msg, env)

    async def _apply_batch(self, decoded: list[Item]) -> list[Item]:
        """Apply a batch; returns the events of cases that conflicted (to redo one by one)."""
        cases = by_case(decoded)
        async with AsyncExitStack() as held:
            # Sorted lock order: the batch and single-case `act` calls can never deadlock.
            for index in sorted({self._lock_index(cid) for cid in cases}):
                await held.enter_async_context(self._locks[index])
            loaded = await asyncio.to_thread(self.store.load_many, list(cases))
            done = plan(self.decider, cases, loaded, datetime.now(UTC), self._encode)
            if done.records:
                await self.producer.publish(done.records)  # acked by the broker before any state is saved
            conflicts = await asyncio.to_thread(self.store.save_many, done.saves)
        for msg, error in done.failed:
            await self._dead_letter(msg, error)
        self.counters["duplicates"] += done.duplicates
        self.counters["conflicts"] += len(conflicts)
        dead = {id(msg) for msg, _ in done.failed}  # already dead-lettered: not redone
        redo = [item for cid in conflicts for item in cases[cid] if id(item[0]) not in dead]
        self.counters["processed"] += done.handled - len(redo)
        for cid, ids in done.emitted.items():
            if cid not in conflicts:
                self.counters["emitted"] += len(ids)
                self.recent.add(ids)
        return redo

    async def _one(self, msg: Any, env: Envelope) -> None:
        """One event through `act`: outages are waited out, the event's own failure dead-lettered."""
        backoff = Backoff()
        while True:
            try:
                now = datetime.now(UTC)
                await self.act(env.complaint_id, partial(self.decider.on_event, event=env.event,
                                                         event_id=env.id, now=now),
                               partition=msg.partition, cause=(env.event, env.id, env.time))
                self.counters["processed"] += 1
                return
            except Exception as exc:
                if transient(exc):
                    self._retried()
                    await backoff.pause(f"{self.service}: event {env.id}", exc)
                    continue
                log.exception("%s failed on %s", self.service, env.id)
                await self._dead_letter(msg, exc)
                return

    async def _dead_letter(self, msg: Any, exc: BaseException) -> None:
        """Copy the record to `<topic>.dlq`, retrying until the broker takes it."""
        headers = [(k, v) for k, v in (msg.headers or []) if v is not None]
        await persist(f"{self.service}: dead letter for {msg.topic}@{msg.offset}", lambda: dead_letter(
            self.producer, service=self.service, topic=msg.topic, partition=msg.partition, offset=msg.offset,
            key=msg.key, value=msg.value, headers=headers, error=exc), self._retried)
        self.counters["dead_lettered"] += 1

    def _retried(self) -> None:
        self.counters["retries"] += 1

    def _on_tick(self, state: CaseState | None, now: datetime) -> Sequence[Emit]:
        return self.decider.on_tick(state, now) if state is not None else []

    async def _tick(self) -> None:
        if trim_due():  # give the heap freed after a burst back to the system
            await asyncio.to_thread(trim)
        now = datetime.now(UTC)
        for complaint_id in await asyncio.to_thread(self.store.due, self.owned_partitions(), now):
            try:
                await self.act(complaint_id, partial(self._on_tick, now=now))
            except Exception:
                log.exception("%s tick failed for %s", self.service, complaint_id)

