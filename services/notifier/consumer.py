"""The notifier's consumer (faust, consumer group `complaints-notifier`): events in, messages planned.

At least once, idempotent: a batch of records is folded into the cases and its messages are
inserted in ONE transaction before faust acks the records; a redelivered record is known by
its id and plans nothing new (and the deliveries' unique claim would refuse it anyway). A record
that cannot be decoded or folded is dead-lettered to `<topic>.dlq` — or, when the broker does not
take it, kept for the delivery loop (`dead_letters.py`: bounded, never blocking); unknown types are
skipped; a database or broker outage is waited out (the records stay un-acked).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from complaints.envelope import Envelope, decode
from complaints.kafka.producer import EventProducer
from complaints.settings import Settings
from complaints.topics import topic_name
from complaints.worker import tuning
from complaints.worker.faust_app import create_faust_app
from complaints.worker.retry import Backoff, persist, transient
from schemas.events import TOPICS
from schemas.registry import ALL_MODELS, UnknownEventType
from services.notifier import dead_letters
from services.notifier.case import CustomerCase, fold
from services.notifier.plan import Planned, emails_for, news, webhooks_for
from services.notifier.store import Conflict, NotifierStore

log = logging.getLogger(__name__)
SERVICE = "notifier"


class Consumer:
    def __init__(self, settings: Settings, store: NotifierStore, producer: EventProducer, *, batch_max: int,
                 batch_within: float) -> None:
        self.settings = settings
        self.store = store
        self.producer = producer
        self.batch_max, self.batch_within = batch_max, batch_within
        self.endpoints = [e.name for e in settings.webhooks]
        self.max_age = timedelta(hours=settings.notify_max_event_age_h)
        self.counters = {"processed": 0, "duplicates": 0, "skipped_unknown": 0, "dead_lettered": 0,
                         "dead_letters_kept": 0, "planned": 0}
        self.joined = False
        self.app = create_faust_app(f"{settings.topic_prefix}complaints-{SERVICE}", settings)
        self.app.on_rebalance_complete.connect(self._joined)  # type: ignore[arg-type]
        topic = self.app.topic(*(topic_name(settings, t) for t in TOPICS), key_serializer="raw",
                               value_serializer="raw")
        self.app.agent(topic, name=f"{SERVICE}-events")(self._agent)

    async def _joined(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        self.joined = True

    async def _agent(self, stream: Any) -> None:
        async for events in stream.take_events(self.batch_max, within=self.batch_within):
            await self.handle([event.message for event in events])

    async def handle(self, messages: Sequence[Any]) -> None:
        """Never raises (faust would ack and lose the batch)."""
        decoded: list[tuple[Any, Envelope]] = []
        for msg in messages:
            try:
                decoded.append((msg, decode(msg.headers or [], msg.value, msg.key, models=ALL_MODELS)))
            except UnknownEventType:
                self.counters["skipped_unknown"] += 1
            except Exception as exc:
                await self._dead_letter(msg, exc)
        if decoded and await self._apply_with_retry([env for _, env in decoded]) is not None:
            for msg, env in decoded:  # the batch holds a record we cannot fold: find it, one at a time
                error = await self._apply_with_retry([env])
                if error is not None:
                    await self._dead_letter(msg, error)

    async def _apply_with_retry(self, envs: list[Envelope]) -> BaseException | None:
        """None once applied; the error when the events themselves cannot be (outages are waited out)."""
        backoff = Backoff()
        conflicts = 0
        while True:
            try:
                await asyncio.to_thread(self.apply, envs)
                return None
            except Conflict as exc:  # another replica wrote the case: fold again (bounded: never spin forever)
                conflicts += 1
                if conflicts >= tuning.CONFLICT_ATTEMPTS:
                    return exc
                continue
            except Exception as exc:
                if not transient(exc):
                    return exc
                await backoff.pause(f"{SERVICE}: a batch of {len(envs)} events", exc)

    def apply(self, envs: Sequence[Envelope]) -> None:
        """Fold the events into their cases and insert the messages they cause, in one transaction."""
        now = datetime.now(UTC)
        loaded = self.store.load_cases(sorted({e.complaint_id for e in envs}))
        changed: dict[str, tuple[CustomerCase, int]] = {}
        planned: list[Planned] = []
        duplicates = 0
        for env in envs:
            case, version = changed.get(env.complaint_id) or loaded.get(env.complaint_id) or (None, 0)
            if case is not None and case.knows(env.id):
                duplicates += 1
                continue
            changed[env.complaint_id] = (fold(case, env.event, env.id, env.time), version)
            if news(env.time, now, self.max_age):
                planned += emails_for(env.event, env.id, now)
                planned += webhooks_for(env.event, env.id, env.type, env.time, self.endpoints)
        new = self.store.save(changed, planned, now)
        self.counters["processed"] += len(envs)
        self.counters["duplicates"] += duplicates
        self.counters["planned"] += new

    async def _dead_letter(self, msg: Any, exc: BaseException) -> None:
        """One try at `<topic>.dlq`; refused, the record is kept for the delivery loop's bounded retries."""
        record = dead_letters.kept(msg, exc, datetime.now(UTC))
        try:
            await dead_letters.publish(self.producer, record.payload or "")
        except Exception as failed:
            log.warning("%s: the dead letter for %s@%s was not taken (%s); kept as delivery %s", SERVICE, msg.topic,
                        msg.offset, type(failed).__name__, record.delivery_id)
            await persist(f"{SERVICE}: keeping the dead letter for {msg.topic}@{msg.offset}",
                          lambda: asyncio.to_thread(self.store.save, {}, [record], record.due_at), lambda: None)
            self.counters["dead_letters_kept"] += 1
        self.counters["dead_lettered"] += 1
