"""Run a pure decider as a faust worker: the worker contract, coded once.

Every input — a round of consumed records, one record redone alone, an agent's action, a
timer's decision — goes through one loop (`run`): lock its cases, load them (one query),
decide the round (`rounds.decide_round`: the one step per input, no I/O), publish its outputs
(one send, acked), save its cases (one transaction).

Delivery guarantees:
- a redelivered event (its id already applied to the case) changes nothing;
- outputs are published (and acked by the broker) before the state that records them is
  saved, so a crash can only re-publish the same deterministic events;
- per-case order: a case's inputs are decided in the order they came, one round at a time
  (striped locks, taken in sorted order, so rounds never deadlock);
- one owner decides per case: a lock shared by the service's processes (`owner.py`) is held
  from loading the case to saving it, so two replicas, or an agent's action and a timer, never
  both decide on the same case;
- a round that fails as a whole, and any case another replica changed meanwhile, is redone
  one record at a time (`redo`), which reloads the case; a broker or database outage is
  waited out (`retry.py`);
- timers only look at cases in the partitions this process owns, and only once it has consumed
  them up to the end offsets seen when they were assigned (`catchup.py`).

What is done with the records an input's step refused (`consume` returns them) — copying them
to the dead-letter topic — and the housekeeping around the timer (heap trim) are edges, wrapped
around `consume` and `tick` by the service's wiring (`edges.py`).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from complaints.domain import step
from complaints.domain.emit import Emit
from complaints.envelope import Record, decode, encode
from complaints.kafka.producer import EventProducer, Position
from complaints.liveness import Liveness
from complaints.parking import ParkingLot, safe_error
from complaints.settings import Settings
from complaints.topics import topic_name
from complaints.worker import tuning
from complaints.worker.catchup import CatchUp
from complaints.worker.decider import LifecycleDecider
from complaints.worker.faust_app import create_faust_app
from complaints.worker.owner import CaseOwner
from complaints.worker.recent import RecentlyEmitted
from complaints.worker.retry import Backoff, transient
from complaints.worker.rounds import Consumed, Decision, Input, Round, by_case, decide_round
from complaints.worker.store import CaseStore
from complaints.worker.unknown import UnknownTypes, UnreadableVersion, must_understand
from schemas.events import TOPICS
from schemas.registry import UnknownEventType

log = logging.getLogger(__name__)

#: Records an input's step refused, with why: the dead-letter edge copies them aside.
Refused = list[tuple[Any, BaseException]]
Consume = Callable[[Sequence[Any]], Awaitable[Refused]]
Tick = Callable[[], Awaitable[None]]


class Worker:
    def __init__(self, service: str, settings: Settings, decider: LifecycleDecider,
                 tick_interval: float = tuning.TICK_INTERVAL_S, batch_max: int = tuning.BATCH_MAX,
                 batch_within: float = tuning.BATCH_WITHIN_S) -> None:
        self.service = service
        self.settings = settings
        self.decider = decider
        self.store = CaseStore(settings.database_url, service)
        self.owner = CaseOwner(self.store.engine, service)
        self.parking = ParkingLot(self.store.engine)  # what cannot be processed is kept here, never lost
        self._producer: EventProducer | None = None  # created in start(): it needs the running loop
        self.app = create_faust_app(f"{settings.topic_prefix}complaints-{service}", settings)
        self._received_topic = topic_name(settings, TOPICS[0])
        self.batch_max = batch_max
        self.batch_within = batch_within
        self.counters = {"processed": 0, "duplicates": 0, "skipped_unknown": 0, "dead_lettered": 0, "parked": 0,
                         "dead_letter_failed": 0, "emitted": 0,
                         "batches": 0, "batch_fallbacks": 0, "conflicts": 0, "retries": 0,
                         "catching_up": 0}
        self._locks = [asyncio.Lock() for _ in range(tuning.LOCK_STRIPES)]
        self.recent = RecentlyEmitted()  # our own events, saved: their echo is a known duplicate
        self.joined = False  # set once the consumer group assigned this process its partitions
        self.catch_up = CatchUp()
        self.unknown = UnknownTypes(service)
        self.liveness = Liveness(settings.liveness_bound_s)
        self.liveness.register("consumer")
        self.liveness.register("timer", periodic=True)
        #: The entry points the agent and the timer call; the wiring wraps them with its edges.
        self.consume: Consume = self.handle_batch
        self.tick: Tick = self.tick_once
        self.app.on_rebalance_complete.connect(self._on_rebalance_complete)  # type: ignore[arg-type]
        topic = self.app.topic(*(topic_name(settings, t) for t in TOPICS), key_serializer="raw",
                               value_serializer="raw")
        self.app.agent(topic, name=f"{service}-lifecycle")(self._agent)
        self.app.timer(tick_interval)(self._timer)

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
        await self.catch_up.assigned(self.app.consumer, self.service)  # the timers wait for these end offsets
        self.counters["catching_up"] = len(self.catch_up.pending)

    async def health(self) -> tuple[bool, dict[str, Any]]:
        broker = await self.producer.healthy() if self._producer else False
        live = self.liveness.report()
        return broker and self.joined and not live["stalled"], {
            "broker": broker, "joined": self.joined, "partitions": sorted(self.owned_partitions()),
            "stalled": live["stalled"], "liveness": live, "skipped_unknown": dict(self.unknown.counts)}

    def owned_partitions(self) -> set[int]:
        try:
            return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == self._received_topic}
        except Exception:  # consumer not started yet
            return set()

    # the one loop ----------------------------------------------------------
    def _lock_index(self, complaint_id: str) -> int:
        return zlib.crc32(complaint_id.encode()) % len(self._locks)

    async def run(self, cases: Mapping[str, Sequence[Input]]) -> tuple[Round, set[str], list[Position]]:
        """One round: (what was worked out, the cases that conflicted and were not saved, positions)."""
        async with AsyncExitStack() as held:
            for index in sorted({self._lock_index(cid) for cid in cases}):
                await held.enter_async_context(self._locks[index])
            await held.enter_async_context(self.owner.holding(cases))  # one decider per case, across processes
            loaded = await asyncio.to_thread(self.store.load_many, list(cases))  # (re)loaded inside the lock
            done = decide_round(self.decider, cases, loaded, datetime.now(UTC), self._encode)
            positions = await self.producer.publish(done.records) if done.records else []  # acked before saving
            conflicts = await asyncio.to_thread(self.store.save_many, done.saves) if done.saves else set()
        self.counters["duplicates"] += done.duplicates
        self.counters["conflicts"] += len(conflicts)
        for cid, ids in done.emitted.items():
            if cid not in conflicts:
                self.counters["emitted"] += len(ids)
                self.recent.add(ids)
        return done, conflicts, positions

    def _encode(self, emit: Emit, time: datetime) -> Record:
        return encode(emit.event, event_id=emit.event_id, source=f"/complaints/{self.service}", time=time,
                      causation_id=emit.causation_id, correlation_id=emit.event.complaint_id)

    # entry points ----------------------------------------------------------
    async def act(self, complaint_id: str, decide: step.Decide) -> list[Position]:
        """A decision of the service's own on one case (an agent's action, a timer): published, then saved.

        The decision's refusal (a `DomainError`) is raised to the caller; a concurrent update by
        another replica makes it decide again on the reloaded case."""
        for _ in range(tuning.CONFLICT_ATTEMPTS):
            done, conflicts, positions = await self.run({complaint_id: [Decision(complaint_id, decide)]})
            if done.failed:
                raise done.failed[0][1]
            if complaint_id not in conflicts:
                return positions
        raise RuntimeError(f"case {complaint_id}: too many concurrent updates")

    async def _agent(self, stream: Any) -> None:
        async for events in stream.take_events(self.batch_max, within=self.batch_within):
            messages = [event.message for event in events]
            with self.liveness.working("consumer"):
                await self.consume(messages)
            self.catch_up.decided(messages)  # decided or parked

    async def handle_batch(self, messages: Sequence[Any]) -> Refused:
        """Decode and decide a round of records; returns those refused. Never raises (faust would ack and lose them)."""
        decoded: list[Consumed] = []
        refused: Refused = []
        for msg in messages:
            if self.recent.echo(msg.headers):
                self.counters["processed"] += 1
                self.counters["duplicates"] += 1
                continue
            try:
                decoded.append(Consumed(msg, decode(msg.headers or [], msg.value, msg.key)))
            except UnknownEventType as exc:
                event_type = str(exc.args[0]) if exc.args else "?"
                if must_understand(event_type):  # a version it cannot read of a type it must: parked
                    refused.append((msg, UnreadableVersion(f"{event_type}: a version of a lifecycle type "
                                                           f"{self.service} cannot read yet")))
                else:
                    self.counters["skipped_unknown"] += 1
                    self.unknown.skipped(event_type)
            except Exception as exc:
                refused.append((msg, exc))
        if not decoded:
            return refused
        cases = by_case(decoded)
        try:
            done, conflicts, _ = await self.run(cases)
            self.counters["batches"] += 1
        except Exception:
            log.exception("%s: a batch of %d events failed; redoing it one event at a time", self.service,
                          len(decoded))
            self.counters["batch_fallbacks"] += 1
            redo = decoded
        else:
            failed = {id(item) for item, _ in done.failed}
            refused += [(item.message, exc) for item, exc in done.failed if isinstance(item, Consumed)]
            redo = [i for cid in conflicts for i in cases[cid] if isinstance(i, Consumed) and id(i) not in failed]
            self.counters["processed"] += done.consumed - len(redo)
        for item in redo:
            refused += await self.redo(item)
        return refused

    async def redo(self, item: Consumed) -> Refused:
        """One record in a round of its own: outages are waited out, the record's own failure refused."""
        backoff = Backoff()
        cid = item.complaint_id
        for _ in range(tuning.CONFLICT_ATTEMPTS):
            try:
                done, conflicts, _ = await self.run({cid: [item]})
            except Exception as exc:
                if transient(exc):
                    self.retried()
                    await backoff.pause(f"{self.service}: event {item.envelope.id}", exc)
                    continue
                log.exception("%s failed on %s", self.service, item.envelope.id)
                return [(item.message, exc)]
            if done.failed:
                return [(item.message, done.failed[0][1])]
            if cid not in conflicts:
                self.counters["processed"] += 1
                return []
        return [(item.message, RuntimeError(f"case {cid}: too many concurrent updates"))]

    def retried(self) -> None:
        self.counters["retries"] += 1

    async def _timer(self) -> None:
        """Every tick is caught: a failing tick (the database down) is logged and retried at the next one,
        and the timer task never ends; liveness names it once no tick has succeeded for the bound."""
        try:
            with self.liveness.working("timer"):
                await self.tick()
        except Exception as exc:
            log.error("%s: timer tick failed (%s: %s); retrying at the next tick", self.service,
                      type(exc).__name__, safe_error(exc))

    async def tick_once(self) -> None:
        """Decide every due case of the partitions this process owns (SLA breaches, answer windows), once
        it has caught up with them."""
        caught_up = await self.catch_up.done(self.app.consumer)
        self.counters["catching_up"] = len(self.catch_up.pending)
        if not caught_up:
            return
        now = datetime.now(UTC)
        for complaint_id in await asyncio.to_thread(self.store.due, self.owned_partitions(), now):
            try:
                await self.act(complaint_id, lambda state: self.decider.on_tick(state, now))
            except Exception:
                log.exception("%s tick failed for %s", self.service, complaint_id)
