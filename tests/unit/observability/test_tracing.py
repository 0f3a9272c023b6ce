"""Traces on the log: the CloudEvents distributed-tracing extension, as the SDK reads and writes it,
and spans that continue the trace a record carries (into an in-memory exporter)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from complaints.envelope import decode, encode
from complaints.kafka.producer import _traced
from complaints.observability import tracing
from schemas import Escalated

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def escalated() -> Escalated:
    return Escalated(complaint_id="c-1", level="supervisor", from_level="front_line", reason="triage",
                     reasons=("social and public",), sla_due_at=NOW, episode=1, policy_version="2026-11-01")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_provider(None)


def test_trace_context_rides_as_ce_traceparent_and_ce_tracestate_and_decodes_back() -> None:
    record = encode(escalated(), event_id="e-1", source="/x", time=NOW, traceparent=PARENT, tracestate="vendor=1")
    headers = dict(record.headers)
    assert headers["ce_traceparent"] == PARENT.encode() and headers["ce_tracestate"] == b"vendor=1"
    env = decode(record.headers, record.value, record.key)
    assert (env.traceparent, env.tracestate) == (PARENT, "vendor=1")
    plain = decode(*(lambda r: (r.headers, r.value))(encode(escalated(), event_id="e-1", source="/x", time=NOW)))
    assert plain.traceparent is None and plain.tracestate is None  # optional: records without them stay valid


def test_the_cloudevents_sdk_reads_and_writes_the_tracing_extension_as_we_do() -> None:
    ours = encode(escalated(), event_id="e-1", source="/x", time=NOW, causation_id="r-1", traceparent=PARENT,
                  tracestate="vendor=1")
    ce = from_binary(KafkaMessage(dict(ours.headers), ours.key, ours.value), JSONFormat(), CloudEvent)
    assert ce.get_extension("traceparent") == PARENT and ce.get_extension("tracestate") == "vendor=1"
    attributes = {"id": "e-1", "source": "/x", "type": "complaints.Escalated.v1", "specversion": "1.0",
                  "time": NOW, "subject": "c-1", "datacontenttype": "application/json", "correlationid": "c-1",
                  "causationid": "r-1", "traceparent": PARENT, "tracestate": "vendor=1"}
    sdk = to_binary(CloudEvent(attributes, ours.value), JSONFormat(), key_mapper=lambda _: "c-1")
    assert sorted(sdk.headers.items()) == sorted(ours.headers)  # byte for byte
    assert decode(sdk.headers, sdk.value, b"c-1") == decode(ours.headers, ours.value, ours.key)


def test_a_consumer_span_continues_the_trace_of_its_record_and_hands_it_on(spans: InMemorySpanExporter) -> None:
    span = tracing.start_consumer_span("consume Escalated", PARENT, "vendor=1", {"messaging.kafka.partition": 3})
    handed_on = dict(tracing.current_headers(span))
    span.end()
    [done] = spans.get_finished_spans()
    assert done.kind == SpanKind.CONSUMER and done.parent is not None
    assert f"{done.context.trace_id:032x}" == PARENT.split("-")[1]
    assert f"{done.parent.span_id:016x}" == PARENT.split("-")[2]
    assert handed_on["ce_traceparent"].decode() == f"00-{done.context.trace_id:032x}-{done.context.span_id:016x}-01"
    assert handed_on["ce_tracestate"] == b"vendor=1"


def test_a_record_without_a_trace_starts_none_and_carries_none(spans: InMemorySpanExporter) -> None:
    span = tracing.start_consumer_span("consume Escalated", None, None)
    span.end()
    [done] = spans.get_finished_spans()
    assert done.parent is None  # a new trace: its root
    assert tracing.current_headers() == []  # no current span outside


def test_the_producer_adds_the_current_trace_only_to_records_that_name_none() -> None:
    current = [("ce_traceparent", PARENT.encode())]
    own = [("ce_id", b"e-1"), ("ce_traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")]
    assert _traced(own, current) == own
    assert _traced([("ce_id", b"e-1")], current) == [("ce_id", b"e-1"), *current]
    assert _traced([("ce_id", b"e-1")], []) == [("ce_id", b"e-1")]


def test_tracing_is_off_unless_an_endpoint_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert not tracing.endpoint_configured(None)
    assert not tracing.configure_tracing("intake", None) and not tracing.enabled()
    assert tracing.endpoint_configured("http://collector:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing.endpoint_configured(None)
