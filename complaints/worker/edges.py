"""Cross-cutting work wrapped around the worker's entry points, installed by each service's wiring.

The worker contract (`runtime.Worker.run`) knows nothing of these: they wrap `worker.consume`
(a round of consumed records) and `worker.tick` (the timer), as middleware wraps a handler.

- `dead_letters`: a record the worker refused (undecodable, or its step raised) is parked in the
  service's own store with its origin and error (`complaints.parking`; a database outage is waited
  out), then copied to `<topic>.dlq` — at most `dlq.ATTEMPTS` tries, none more once the
  broker says it can never take it (too large, no ACL); then the record is acked. Nothing blocks.
- `heap_trims`: after the timer's work, the heap a burst freed is given back to the system.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from complaints.heap import trim, trim_due
from complaints.kafka.dlq import dead_letter_bounded
from complaints.parking import safe_error
from complaints.worker import tuning
from complaints.worker.retry import persist
from complaints.worker.runtime import Consume, Refused, Tick, Worker


def dead_letters(worker: Worker, consume: Consume) -> Consume:
    async def consuming(messages: Sequence[Any]) -> Refused:
        refused = await consume(messages)
        for msg, exc in refused:
            await _dead_letter(worker, msg, exc)
        return []

    return consuming


async def _dead_letter(worker: Worker, msg: Any, exc: BaseException) -> None:
    exc = safe_error(exc)
    headers = [(k, v) for k, v in (msg.headers or []) if v is not None]
    origin = f"{worker.service}: {msg.topic}[{msg.partition}]@{msg.offset}"
    await persist(f"parking {origin}", lambda: asyncio.to_thread(
        worker.parking.park, worker.service, msg.topic, msg.partition, msg.offset, msg.key, msg.value, headers,
        exc), worker.retried)
    worker.counters["parked"] += 1
    copied = await dead_letter_bounded(worker.producer, service=worker.service,
                                       topic=msg.topic, partition=msg.partition, offset=msg.offset, key=msg.key,
                                       value=msg.value, headers=headers, error=exc)
    worker.counters["dead_lettered" if copied else "dead_letter_failed"] += 1


def heap_trims(tick: Tick, every_s: float = tuning.HEAP_TRIM_EVERY_S) -> Tick:
    async def ticking() -> None:
        await tick()
        if trim_due(every_s):  # a few ms: off the event loop
            await asyncio.to_thread(trim)

    return ticking


def install(worker: Worker) -> Worker:
    """Every lifecycle worker's edges: dead letters around `consume`, the heap trim around `tick`."""
    worker.consume = dead_letters(worker, worker.consume)
    worker.tick = heap_trims(worker.tick)
    return worker
