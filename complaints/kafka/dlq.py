"""Dead letters: a record we cannot process goes to `<topic>.dlq`, never dropped silently."""

from __future__ import annotations

import logging

from complaints.kafka.producer import EventProducer, Position
from complaints.topics import dlq

log = logging.getLogger(__name__)


async def dead_letter(
    producer: EventProducer,
    *,
    service: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes]],
    error: BaseException,
) -> Position:
    """Copy the record to its dead-letter topic with the error and its origin in headers."""
    extra = [
        ("dlq_error", f"{type(error).__name__}: {error}"[:2000].encode()),
        ("dlq_service", service.encode()),
        ("dlq_origin_topic", topic.encode()),
        ("dlq_origin_partition", str(partition).encode()),
        ("dlq_origin_offset", str(offset).encode()),
    ]
    log.error("dead-lettering %s[%s]@%s: %s", topic, partition, offset, error)
    return await producer.send_raw(dlq(topic), value, key, [*headers, *extra])
