"""Intake's service layer: the adapters it needs and the publish step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from complaints.envelope import encode
from complaints.kafka.producer import EventProducer
from complaints.pii import Vault
from schemas.events import ComplaintReceived
from services.intake.domain import received_event_id
from services.intake.store import IntakeStore


@dataclass
class Intake:
    producer: EventProducer
    store: IntakeStore
    vault: Vault
    public_api_url: str
    history_days: int

    @staticmethod
    def new_complaint_id() -> str:
        return str(uuid.uuid4())

    async def publish(self, event: ComplaintReceived, idempotency_key: str | None) -> str:
        """Publish and wait for the broker's ack; the event id is deterministic per complaint."""
        record = encode(event, event_id=received_event_id(event.complaint_id),
                        source="/complaints/intake", time=event.received_at)
        [position] = await self.producer.publish([record])
        if idempotency_key:
            await run_in_threadpool(self.store.mark_published, idempotency_key, str(position))
        return str(position)
