"""Dead letters: a record we cannot process goes to `<topic>.dlq`, never dropped silently."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError, KafkaTimeoutError

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


#: Tries at a dead-letter copy while the broker answers with retriable errors (0.2 s doubling, ~6 s).
ATTEMPTS = 5


def _retriable(exc: BaseException) -> bool:
    if isinstance(exc, KafkaTimeoutError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, KafkaError) and bool(exc.retriable)


async def dead_letter_bounded(producer: EventProducer, *, attempts: int = ATTEMPTS, service: str, topic: str,
                              partition: int, offset: int, key: bytes | None, value: bytes | None,
                              headers: list[tuple[str, bytes]], error: BaseException) -> bool:
    """`dead_letter`, at most `attempts` tries, none more once the broker says it never will (too large,
    no ACL). False: no copy was made — the caller has parked the record first, so nothing is lost."""
    delay = 0.2
    for attempt in range(attempts):
        try:
            await dead_letter(producer, service=service, topic=topic, partition=partition, offset=offset, key=key,
                              value=value, headers=headers, error=error)
            return True
        except Exception as failure:
            if not _retriable(failure) or attempt == attempts - 1:
                log.error("%s: no dead-letter copy of %s[%s]@%s (%s: %s); it stays parked", service, topic,
                          partition, offset, type(failure).__name__, failure)
                return False
            log.warning("%s: dead letter for %s[%s]@%s failed (%s); retrying in %.1fs", service, topic, partition,
                        offset, failure, delay)
            await asyncio.sleep(delay)
            delay *= 2
    return False
