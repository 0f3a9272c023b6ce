"""What a decision returns: one event to produce, with its deterministic id and its cause."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.events import Event


@dataclass(frozen=True)
class Emit:
    """One event to produce: its payload, its deterministic id, and the id of what caused it."""

    event: Event
    event_id: str
    causation_id: str | None
