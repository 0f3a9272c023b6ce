"""Dead letters: a record we cannot process goes to `<topic>.dlq`, never dropped silently."""

from __future__ import annotations

import logging

from complaints.kafka.producer import EventProducer, Position
from complaints.observability.logs import log_context
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
    ids = {k[3:]: v.decode(errors="replace") for k, v in headers if k in ("ce_id", "ce_correlationid")}
    with log_context(complaint_id=key.decode(errors="replace") if key else None, event_id=ids.get("id"),
                     correlation_id=ids.get("correlationid")):
        log.error("dead-lettering %s[%s]@%s: %s", topic, partition, offset, error)
    return await producer.send_raw(dlq(topic), value, key, [*headers, *extra])
