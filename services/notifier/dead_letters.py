"""The notifier's dead letters, bounded and never blocking.

A record the consumer cannot fold goes to `<topic>.dlq` (`complaints.kafka.dlq`). The consumer
tries that publish once; when the broker does not take it (down, or the record is too large for
it), the record is kept as a delivery on channel `dlq` — its bytes in the row's payload, base64 —
and the delivery loop publishes it with the bounds of every message: retried with backoff, then
`dead` after `COMPLAINTS_NOTIFY_MAX_ATTEMPTS` (kept, listed at `GET /deliveries?status=dead`,
re-driven by `POST /deliveries/{id}/retry`). The consumer never waits on the dead-letter topic.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from complaints.ids import deterministic_id
from complaints.kafka.dlq import dead_letter
from complaints.kafka.producer import EventProducer
from services.notifier.plan import Planned

DLQ = "dlq"
SERVICE = "notifier"


def _b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode()


def _raw(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def kept(msg: Any, exc: BaseException, now: datetime) -> Planned:
    """The record and why it was refused, as a delivery on the `dlq` channel (once per record)."""
    payload = {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset, "key": _b64(msg.key),
               "value": _b64(msg.value), "headers": [[k, _b64(v)] for k, v in (msg.headers or []) if v is not None],
               "error_type": type(exc).__name__, "error": str(exc)[:2000]}
    complaint_id = (msg.key or b"").decode(errors="replace")[:64] or "-"
    return Planned(kind="dead_letter", channel=DLQ, complaint_id=complaint_id, due_at=now, payload=json.dumps(payload),
                   cause_id=deterministic_id("DeadLetter", msg.topic, str(msg.partition), str(msg.offset)))


async def publish(producer: EventProducer, payload: str) -> None:
    """Publish a kept record to its dead-letter topic, with the error it was refused for."""
    kept_record = json.loads(payload)
    error = type(kept_record["error_type"], (Exception,), {})(kept_record["error"])  # named as it was raised
    await dead_letter(producer, service=SERVICE, topic=kept_record["topic"], partition=kept_record["partition"],
                      offset=kept_record["offset"], key=_raw(kept_record["key"]), value=_raw(kept_record["value"]),
                      headers=[(k, _raw(v) or b"") for k, v in kept_record["headers"]], error=error)
