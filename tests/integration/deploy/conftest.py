"""Helpers for the deploy integration tests: produce CloudEvents records with kafka-python."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kafka import KafkaProducer

from complaints.envelope import Record
from complaints.settings import Settings


@dataclass(frozen=True)
class Sent:
    record: Record
    partition: int
    offset: int


class Producer:
    def __init__(self, settings: Settings) -> None:
        self._producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", linger_ms=0)

    def send(
        self, record: Record, *, headers: list[tuple[str, bytes]] | None = None, value: bytes | None = None
    ) -> Sent:
        """Send `record` (optionally with other headers or value) and wait for the broker's ack."""
        meta = self._producer.send(
            record.topic,
            key=record.key,
            value=record.value if value is None else value,
            headers=record.headers if headers is None else headers,
        ).get(timeout=15)
        return Sent(record, meta.partition, meta.offset)

    def close(self) -> None:
        self._producer.close(timeout=5)


@pytest.fixture
def producer(settings: Settings) -> Iterator[Producer]:
    p = Producer(settings)
    try:
        yield p
    finally:
        p.close()
