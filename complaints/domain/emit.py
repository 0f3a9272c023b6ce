"""What a decision returns: one event to produce, with its deterministic id and its cause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.events import Event


@dataclass(frozen=True)
class Emit:
    """One event to produce: its payload, its deterministic id, and the id of what caused it.

    `at`: when it happened, taken from what caused it (the causing event's time, the deadline a
    timer fires for); None: the time of the input being decided. It is the record's `ce_time`,
    so re-deciding the same input re-publishes the same bytes.
    """

    event: Event
    event_id: str
    causation_id: str | None
    at: datetime | None = None
