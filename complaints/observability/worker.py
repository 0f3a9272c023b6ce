"""A worker observed from outside: outcomes by event type, decisions, timer age, lag, one span per event.

`instrument_worker(worker)` is an edge (as `complaints.worker.edges`), installed by each service's
wiring before the others: it wraps `worker.consume` (so it sees which records the dead-letter
edge will copy aside), `worker.tick`, `worker.redo`, `worker.retried`, the encoding of outputs
and the record of saved ones; the rules and the worker loop are untouched. It counts, per
consumed record and by its `ce_type`:
`complaints_worker_events_total{outcome=processed|duplicate|dead_lettered|parked|skipped_unknown}`;
per saved output `complaints_decisions_total{decision, reason, level}` and the SLA breaches
among them; the timer's last completed tick; and at scrape time the lag of every owned partition.

With tracing on, each consumed record is a CONSUMER span, child of the trace its `ce_traceparent`
names, and every event decided because of it carries that span as its `ce_traceparent`: the
trace goes on from hop to hop. Events a timer decides continue the trace of their cause when
this process handled that cause (kept for the last `REMEMBERED` causes).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from complaints.observability import tracing
from complaints.observability.http import on_scrape
from complaints.observability.logs import log_context
from complaints.observability.metrics import (
    CONSUMER_LAG,
    DECISIONS,
    LAST_TICK,
    SLA_BREACHES,
    TICK_AGE,
    WORKER_EVENTS,
    event_type_label,
)
from complaints.observability.records import Batch, child, count_outcomes, decision_labels, header, start_spans

#: Decided-but-not-yet-saved outputs kept for counting (a conflicting batch is redone).
PENDING_MAX = 50_000
_last_tick = [time.time()]

_batch: ContextVar[Batch | None] = ContextVar("complaints_worker_batch", default=None)
_handling: ContextVar[str | None] = ContextVar("complaints_worker_event_type", default=None)


class _Decider:
    """The worker's decider, noting which consumed events were already applied (duplicates).

    Its other attributes are copied, not looked up through `__getattr__`: they are called for
    every event, and a failed lookup first costs about a microsecond each time."""

    def __init__(self, inner: Any) -> None:
        for name in dir(inner):
            if not name.startswith("_") and name != "consume":
                setattr(self, name, getattr(inner, name))
        self._inner = inner

    def consume(self, state: Any, event: Any, event_id: str, *args: Any) -> Any:
        done = self._inner.consume(state, event, event_id, *args)
        batch = _batch.get()
        if done.duplicate and batch is not None:
            batch.duplicates.add(event_id)
        return done


def instrument_worker(worker: Any, enabled: bool = True) -> Any:
    """Install the observing edges on a worker (before its other edges: it sees what they are given)."""
    if not enabled:
        return worker
    spans: OrderedDict[str, Any] = OrderedDict()  # event id -> its consumer span
    pending: dict[str, tuple[str, str, str, str | None]] = {}  # event id -> decision labels, breached level
    consume, tick, redo, retried = worker.consume, worker.tick, worker.redo, worker.retried
    encode, add, echo = worker._encode, worker.recent.add, worker.recent.echo
    worker.decider = _Decider(worker.decider)

    async def consuming(messages: Any) -> Any:
        batch = Batch()
        token = _batch.set(batch)
        started = start_spans(messages, spans) if tracing.enabled() else []
        try:
            refused = await consume(messages)
        finally:
            _batch.reset(token)
            end = time.time_ns()
            for span in started:
                span.end(end)
        batch.dead.update(id(msg) for msg, _ in refused)  # the dead-letter edge copies them aside
        count_outcomes(messages, batch)
        return refused

    def observed_echo(headers: Any) -> bool:
        seen: bool = echo(headers)
        batch = _batch.get()
        if seen and batch is not None:
            batch.duplicates.add(header(headers, "ce_id") or "")
        return seen

    async def observed_redo(item: Any) -> Any:
        env = item.envelope
        token = _handling.set(env.type)
        try:
            with log_context(complaint_id=env.complaint_id, event_id=env.id, correlation_id=env.correlation_id):
                return await redo(item)
        finally:
            _handling.reset(token)

    def observed_retried() -> None:
        child(WORKER_EVENTS, (event_type_label(_handling.get()), "parked")).inc()
        retried()

    def observed_encode(emit: Any, time: Any) -> Any:
        record = encode(emit, time)
        decision = decision_labels(emit.event)
        breached = emit.event.from_level if decision[1] == "sla_breached" else None
        if len(pending) >= PENDING_MAX:
            pending.clear()
        pending[emit.event_id] = (*decision, breached)
        if tracing.enabled():
            cause = spans.get(emit.causation_id or "")
            headers = tracing.current_headers(cause) if cause is not None else tracing.current_headers()
            if headers:
                record = replace(record, headers=[*record.headers, *headers])
        return record

    def observed_add(ids: Iterable[str]) -> None:
        ids = list(ids)
        add(ids)
        for event_id in ids:
            labels = pending.pop(event_id, None)
            if labels is not None:
                child(DECISIONS, labels[:3]).inc()
                if labels[3]:
                    child(SLA_BREACHES, (labels[3],)).inc()

    async def ticking() -> None:
        await tick()
        _last_tick[0] = time.time()
        LAST_TICK.set(_last_tick[0])

    worker.consume, worker.tick, worker.redo, worker.retried = consuming, ticking, observed_redo, observed_retried
    worker._encode, worker.recent.add, worker.recent.echo = observed_encode, observed_add, observed_echo
    _last_tick[0] = time.time()  # a worker that never ticks ages from its start
    LAST_TICK.set(_last_tick[0])
    on_scrape("worker", lambda: _refresh(worker))
    return worker


def _refresh(worker: Any) -> None:
    TICK_AGE.set(max(0.0, time.time() - _last_tick[0]))
    try:
        consumer = worker.app.consumer
        assigned = list(consumer.assignment())
    except Exception:  # not started, or rebalancing
        return
    for tp in assigned:
        try:
            highwater = consumer.highwater(tp)
        except Exception:
            continue
        if highwater is None:
            continue
        committed = consumer._committed_offset.get(tp)
        read = consumer._read_offset.get(tp)
        done = committed if committed is not None else (read + 1 if read is not None else 0)
        CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - done))
