"""Rows <-> values: case rows, timeline rows (as value tuples), and envelopes rebuilt from the timeline."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic_core import to_json

from complaints.envelope import Envelope
from complaints.readmodel.model import utc
from complaints.readmodel.summary import summary_of
from schemas.registry import ALL_MODELS, parse_event
from services.projections.storage import tables

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


#: Column order of the value tuples below (the writer's INSERT statements use the same).
CASE_COLUMNS = ("complaint_id", "status", "episode", "level", "department", "channel", "customer_ref",
                "received_at", "due_at", "awaiting", "breached", "updated_at", "doc", "assignee", "summary")
TIMELINE_COLUMNS = ("event_id", "complaint_id", "topic", "partition", "offset", "ce_type", "time", "source",
                    "correlation_id", "causation_id", "payload", "entry")


class Times:
    """How a database takes a time: PostgreSQL's driver takes naive UTC datetimes as they are."""

    def of(self, dt: datetime | None) -> Any:
        return naive(dt)

    def of_text(self, text: str | None) -> Any:
        """A time as the case document holds it (pydantic's JSON form)."""
        return None if text is None else self.of(datetime.fromisoformat(text))


class SqliteTimes(Times):
    """SQLite: the text SQLAlchemy's DateTime stores, so SQLAlchemy's reads compare them the same way.

    Converted texts are memoised (a version's end is the next one's start; refolds convert a case's
    times again): equal datetimes are one instant (naive ones never equal aware ones), so one text."""

    MEMO = 100_000

    def __init__(self) -> None:
        self._memo: dict[datetime, str] = {}

    def of(self, dt: datetime | None) -> str | None:
        if dt is None:
            return None
        text = self._memo.get(dt)
        if text is None:
            if len(self._memo) >= self.MEMO:
                self._memo.clear()
            text = self._memo[dt] = utc(dt).replace(tzinfo=None).isoformat(" ", "microseconds")
        return text

    def of_text(self, text: str | None) -> str | None:
        if text is not None and text[-1:] == "Z" and len(text) in (20, 27):  # 2026-01-05T09:00:00[.123456]Z
            return f"{text[:10]} {text[11:19]}{text[19:26] if len(text) == 27 else '.000000'}"
        return super().of_text(text)


QUEUE_COLUMNS = (*CASE_COLUMNS[1:11], "assignee")
assert QUEUE_COLUMNS == tables.QUEUE_COLUMNS  # the columns the queue filters and sorts on, case rows and versions


def queue_values(doc: dict[str, Any], times: Times) -> tuple[Any, ...]:
    """QUEUE_COLUMNS from a case document."""
    sla = doc["sla"]
    return (
        doc["status"], doc["episode"], doc["level"], doc["department"], doc["channel"],
        doc["customer_ref"], times.of_text(doc["received_at"]),
        # Urgency: only a pending first response has a due time that orders the queue.
        times.of_text(sla["due_at"]) if sla["awaiting_response"] else None,
        sla["awaiting_response"], sla["breached"], doc.get("assignee"),
    )


def case_values(doc: dict[str, Any], times: Times) -> tuple[Any, ...]:
    """A case row (CASE_COLUMNS) from the case document (and its queue summary, `summary_of`)."""
    *queue, assignee = queue_values(doc, times)
    return (doc["complaint_id"], *queue, times.of_text(doc["updated_at"]), to_json(doc).decode(), assignee,
            to_json(summary_of(doc)).decode())


def timeline_values(env: Envelope, topic: str, partition: int, offset: int, payload: str, entry: str,
                    times: Times) -> tuple[Any, ...]:
    """A timeline row (TIMELINE_COLUMNS); `payload` is the record's value as read, `entry` the entry JSON."""
    return (env.id, env.complaint_id, topic, partition, offset, env.type, times.of(env.time), env.source,
            env.correlation_id, env.causation_id, payload, entry)


def envelope_from_row(row: Any) -> tuple[Envelope, str]:
    """The (envelope, position) a timeline row was made from; upcasts old versions as decode does."""
    event = parse_event(row.ce_type, json.loads(row.payload), ALL_MODELS)
    env = Envelope(
        id=row.event_id, type=row.ce_type, source=row.source, time=utc(row.time), subject=row.complaint_id,
        correlation_id=row.correlation_id, causation_id=row.causation_id, event=event,
    )
    return env, f"{row.topic}:{row.partition}:{row.offset}"
