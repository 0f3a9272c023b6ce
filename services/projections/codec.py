"""Rows <-> values: case rows, timeline rows, and envelopes rebuilt from the timeline."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from complaints.envelope import Envelope
from schemas.registry import parse_event
from services.projections.model import Case, TimelineEntry, utc

T = TypeVar("T")
#: Bound parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
CHUNK = 500


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def naive(dt: datetime | None) -> datetime | None:
    """Naive UTC, as stored (both backends compare it the same way)."""
    return None if dt is None else utc(dt).replace(tzinfo=None)


def aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else utc(dt)


def case_row(case: Case) -> dict[str, Any]:
    sla = case.sla
    return {
        "complaint_id": case.complaint_id,
        "status": case.status,
        "episode": case.episode,
        "level": case.level,
        "department": case.department,
        "channel": case.channel,
        "customer_ref": case.customer_ref,
        "received_at": naive(case.received_at),
        # Urgency: only a pending first response has a due time that orders the queue.
        "due_at": naive(sla.due_at) if sla.awaiting_response else None,
        "awaiting": sla.awaiting_response,
        "breached": sla.breached,
        "updated_at": naive(case.updated_at),
        "doc": case.model_dump_json(),
    }


def timeline_row(env: Envelope, topic: str, partition: int, offset: int, payload: str,
                 entry: TimelineEntry) -> dict[str, Any]:
    return {
        "event_id": env.id,
        "complaint_id": env.complaint_id,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "ce_type": env.type,
        "time": naive(env.time),
        "source": env.source,
        "correlation_id": env.correlation_id,
        "causation_id": env.causation_id,
        "payload": payload,
        "entry": entry.model_dump_json(),
    }


def envelope_from_row(row: Any) -> tuple[Envelope, str]:
    """The (envelope, position) a timeline row was made from; upcasts old versions as decode does."""
    event = parse_event(row.ce_type, json.loads(row.payload))
    env = Envelope(
        id=row.event_id, type=row.ce_type, source=row.source, time=utc(row.time), subject=row.complaint_id,
        correlation_id=row.correlation_id, causation_id=row.causation_id, event=event,
    )
    return env, f"{row.topic}:{row.partition}:{row.offset}"
