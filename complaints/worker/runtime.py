"""Run a pure decider as a faust worker: decode → load state → decide → publish → evolve → save.

Delivery guarantees:
- every record is acked: an error dead-letters it to `<topic>.dlq` with its origin;
- a redelivered event (its id already applied to the case) changes nothing;
- outputs are published (and acked by the broker) before the state that records
  them is saved, so a crash can only re-publish the same deterministic events;
- timers only look at cases in the partitions this process owns.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from complaints.domain.case import CaseState
from complaints.domain.decisions import Emit
from complaints.envelope import decode, encode
from complaints.kafka.dlq import dead_letter
from complaints.kafka.producer import EventProducer, Position
from complaints.settings import Settings
from complaints.worker.decider import LifecycleDecider
from complaints.worker.faust_app import create_faust_app
from complaints.worker.store import CaseStore, Conflict
from schemas.events import TOPICS
from schemas.registry import UnknownEventType

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, service: str, settings: Settings, decider: LifecycleDecider,
                 tick_interval: float = 1.0) -> None:
        self.service = service
        self.settings = settings
        self.decider = decider
        self.store = CaseStore(settings.database_url, service)
        self._producer: EventProducer | None = None  # created in start(): it needs the running loop
        self.app = create_faust_app(f"complaints-{service}", settings)
        self.tick_interval = tick_interval
        self.counters = {"processed": 0, "duplicates": 0, "skipped_unknown": 0, "dead_lettered": 0, "emitted": 0}
        self._locks = [asyncio.Lock() for _ in range(256)]
        self.extras: dict[str, Any] = {}  # service-specific adapters (e.g. the PII vault)
        self.joined = False  # set once the consumer group assigned this process its partitions
        self.app.on_rebalance_complete.connect(self._on_rebalance_complete)  # type: ignore[arg-type]
        topic = self.app.topic(*TOPICS, key_serializer="raw", value_serializer="raw")
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
            return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == TOPICS[0]}
        except Exception:  # consumer not started yet
            return set()

    # core step -----------------------------------------------------------
    def _lock(self, complaint_id: str) -> asyncio.Lock:
        return self._locks[zlib.crc32(complaint_id.encode()) % len(self._locks)]

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
                positions = await self.producer.publish([
                    encode(e.event, event_id=e.event_id, source=f"/complaints/{self.service}",
                           causation_id=e.causation_id, correlation_id=e.event.complaint_id) for e in emits])
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
                return positions
        raise RuntimeError(f"case {complaint_id}: too many concurrent updates")

    async def _agent(self, stream: Any) -> None:
        async for event in stream.events():
            msg = event.message
            try:
                env = decode(msg.headers or [], msg.value, msg.key)
            except UnknownEventType:
                self.counters["skipped_unknown"] += 1
                continue
            except Exception as exc:
                await self._dead_letter(msg, exc)
                continue
            try:
                now = datetime.now(UTC)
                await self.act(env.complaint_id, partial(self.decider.on_event, event=env.event, event_id=env.id,
                                                         now=now),
                               partition=msg.partition, cause=(env.event, env.id, env.time))
                self.counters["processed"] += 1
            except Exception as exc:  # never crash the agent: faust would ack and lose it
                log.exception("%s failed on %s", self.service, env.id)
                await self._dead_letter(msg, exc)

    async def _dead_letter(self, msg: Any, exc: BaseException) -> None:
        self.counters["dead_lettered"] += 1
        headers = [(k, v) for k, v in (msg.headers or []) if v is not None]
        await dead_letter(self.producer, service=self.service, topic=msg.topic, partition=msg.partition,
                          offset=msg.offset, key=msg.key, value=msg.value, headers=headers, error=exc)

    def _on_tick(self, state: CaseState | None, now: datetime) -> Sequence[Emit]:
        return self.decider.on_tick(state, now) if state is not None else []

    async def _tick(self) -> None:
        now = datetime.now(UTC)
        for complaint_id in await asyncio.to_thread(self.store.due, self.owned_partitions(), now):
            try:
                await self.act(complaint_id, partial(self._on_tick, now=now))
            except Exception:
                log.exception("%s tick failed for %s", self.service, complaint_id)

