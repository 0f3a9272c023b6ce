"""What the worker's observing edge reads off records and events: types, outcomes, decisions, spans.

Cheap on purpose (it runs for every consumed record): one pass over a record's headers, label
children remembered, no attribute a pydantic model lacks looked up (each miss formats an error).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from complaints.observability import tracing
from complaints.observability.metrics import WORKER_EVENTS, event_type_label
from schemas.registry import MODELS, UPCASTERS

#: Spans of recently consumed events, by event id, for the events a timer decides later.
REMEMBERED = 10_000


def header(headers: Iterable[tuple[str, bytes | None]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name and value is not None:
            return value.decode(errors="replace")
    return None


def decision_labels(event: Any) -> tuple[str, str, str]:
    """(decision, reason, level) of an emitted event: small fixed sets, never an id or a name.

    Fields are looked up only where the event's model has them: a missing attribute on a pydantic
    model costs ~10 µs (it formats an error), more than the rest of the counting together."""
    fields = type(event).model_fields
    decision = event.topic
    if "reason" in fields:
        reason = event.reason
    elif "outcome" in fields:
        reason = event.outcome
    elif "offered_by" in fields:
        reason = "policy" if event.offered_by == "policy" else "staff"
    else:
        reason = None
    level = event.level if "level" in fields else None
    return decision, str(reason or "none"), str(level or "none")


@dataclass
class Batch:
    duplicates: set[str] = field(default_factory=set)
    dead: set[int] = field(default_factory=set)


_children: dict[tuple[Any, tuple[str, ...]], Any] = {}


def child(metric: Any, labels: tuple[str, ...]) -> Any:
    """`metric.labels(*labels)`, remembered (`labels()` takes a lock and builds a key every call)."""
    child = _children.get((metric, labels))
    if child is None:
        child = _children[(metric, labels)] = metric.labels(*labels)
    return child


def start_spans(messages: Any, spans: OrderedDict[str, Any]) -> list[Any]:
    started = []
    for msg in messages:
        headers = msg.headers
        event_id, ce_type = header(headers, "ce_id"), header(headers, "ce_type")
        span = tracing.start_consumer_span(
            f"consume {event_type_label(ce_type)}", header(headers, "ce_traceparent"),
            header(headers, "ce_tracestate"),
            {"messaging.destination.name": msg.topic, "messaging.kafka.partition": msg.partition,
             "cloudevents.event_type": ce_type or ""})
        started.append(span)
        if event_id:
            spans[event_id] = span
            if len(spans) > REMEMBERED:
                spans.popitem(last=False)
    return started


def count_outcomes(messages: Any, batch: Batch) -> None:
    """`complaints_worker_events_total`, per type and outcome, for a round of consumed records."""
    counts: dict[tuple[str, str], int] = {}
    dead, duplicates = batch.dead, batch.duplicates
    for msg in messages:
        ce_type = ce_id = None
        for key, value in msg.headers or ():
            if key == "ce_type":
                ce_type = value
            elif key == "ce_id":
                ce_id = value
        kind = ce_type.decode(errors="replace") if ce_type else None
        if dead and id(msg) in dead:
            outcome = "dead_lettered"
        elif kind not in MODELS and kind not in UPCASTERS:
            outcome = "skipped_unknown"
        elif duplicates and ce_id is not None and ce_id.decode(errors="replace") in duplicates:
            outcome = "duplicate"
        else:
            outcome = "processed"
        label = (event_type_label(kind), outcome)
        counts[label] = counts.get(label, 0) + 1
    for label, n in counts.items():
        child(WORKER_EVENTS, label).inc(n)
