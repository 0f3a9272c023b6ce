"""The live projector observed from outside: records by type and outcome, lag, one span per record.

`instrument_projector(projector)` wraps the projector's batch step (`_apply`: dead-letter the
malformed, write the batch in one transaction, wake the readers). Once a batch is written:
`complaints_projector_records_total{event_type, outcome}` (projected, unknown_skipped, malformed)
and, with tracing on, a CONSUMER span per record, child of the trace the record carries: the
last hop of a complaint's trace. At each scrape `complaints_consumer_lag_records` is the
high-water mark the projector last saw minus the next offset stored in the read model (what is
on the log and not yet readable through the support API).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from complaints.observability import tracing
from complaints.observability.http import on_scrape
from complaints.observability.metrics import CONSUMER_LAG, PROJECTED, event_type_label


def _outcome(item: Any) -> str:
    return "projected" if item.skip is None else str(item.skip)


def _type(item: Any) -> str:
    env = getattr(item, "envelope", None)
    if env is not None:
        return event_type_label(env.type)
    for key, value in (getattr(item.record, "headers", None) or ()):
        if key == "ce_type" and value:
            return event_type_label(value.decode(errors="replace"))
    return "other"


def instrument_projector(projector: Any, stored_offsets: Callable[[], dict[tuple[str, int], int]],
                         enabled: bool = True) -> Any:
    """Wrap the projector's batch step; `stored_offsets()` reads the read model's next offsets."""
    if not enabled or projector is None:
        return projector
    apply: Callable[..., Awaitable[None]] = projector._apply

    @functools.wraps(apply)
    async def observed(gen: Any, items: Sequence[Any], *args: Any) -> None:
        spans = _spans(items) if tracing.enabled() else []
        try:
            await apply(gen, items, *args)
        finally:
            end = time.time_ns()
            for span in spans:
                span.end(end)
        counts: dict[tuple[str, str], int] = {}
        for item in items:
            key = (_type(item), _outcome(item))
            counts[key] = counts.get(key, 0) + 1
        for (event_type, outcome), n in counts.items():
            PROJECTED.labels(event_type, outcome).inc(n)

    def lag() -> None:
        highwaters = dict(projector.status.highwater)
        if not highwaters:
            return
        try:
            stored = stored_offsets()
        except Exception:  # the read model is being swapped or is down: no fresh figure this scrape
            return
        for name, highwater in highwaters.items():
            topic, partition = name.rsplit(":", 1)
            CONSUMER_LAG.labels(topic, partition).set(max(0, highwater - stored.get((topic, int(partition)), 0)))

    projector._apply = observed
    on_scrape("projector-lag", lag)
    return projector


def _spans(items: Sequence[Any]) -> list[Any]:
    spans = []
    for item in items:
        env = getattr(item, "envelope", None)
        if env is not None and env.traceparent:
            spans.append(tracing.start_consumer_span(
                f"project {env.event.topic}", env.traceparent, env.tracestate,
                {"messaging.destination.name": item.topic, "messaging.kafka.partition": item.partition,
                 "cloudevents.event_type": env.type}))
    return spans
