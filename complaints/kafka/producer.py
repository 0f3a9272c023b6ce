"""The event producer: acks=all, waits for the broker, reports log positions."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from complaints.broker.profile import get_profile
from complaints.envelope import Record
from complaints.observability import tracing
from complaints.settings import Settings
from complaints.topics import topic_name


@dataclass(frozen=True, order=True)
class Position:
    """Where a record landed: the read-your-writes token is `topic:partition:offset`."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, token: str) -> Position:
        topic, partition, offset = token.rsplit(":", 2)
        return cls(topic, int(partition), int(offset))


class EventProducer:
    """Thin wrapper over aiokafka; broker idempotence only where the profile allows it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer = AIOKafkaProducer(**get_profile(settings).aiokafka_producer(settings))

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, records: Sequence[Record]) -> list[Position]:
        """Send records (batched by the client) and return once the broker acked them all.

        When tracing is on, a record made inside a trace that does not name its own carries the
        current one (`ce_traceparent`, `ce_tracestate`: CloudEvents distributed tracing).
        """
        current = tracing.current_headers() if tracing.enabled() else []
        futures = [
            await self._producer.send(topic_name(self._settings, r.topic), r.value, key=r.key,
                                      headers=_traced(r.headers, current))
            for r in records
        ]
        metas = await asyncio.gather(*futures)
        return [Position(m.topic, m.partition, m.offset) for m in metas]

    async def send_raw(self, topic: str, value: bytes | None, key: bytes | None,
                       headers: list[tuple[str, bytes]]) -> Position:
        meta = await self._producer.send_and_wait(topic, value, key=key, headers=headers)
        return Position(meta.topic, meta.partition, meta.offset)

    async def healthy(self) -> bool:
        """True when the broker answers a metadata request."""
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=3)
            return True
        except Exception:
            return False


def _traced(headers: list[tuple[str, bytes]], current: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    if not current or any(name == "ce_traceparent" for name, _ in headers):
        return headers
    return [*headers, *current]
