"""OpenTelemetry tracing: exported over OTLP/HTTP when configured, nothing by default.

Configured by `COMPLAINTS_OTLP_ENDPOINT` (the collector's base URL, e.g. `http://collector:4318`)
or by the standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; with
none of them set no tracer provider is installed, no span is made and nothing leaves the process.

A trace crosses the log as the CloudEvents distributed-tracing extension: the `traceparent` and
`tracestate` attributes (W3C Trace Context), which the Kafka binding carries as the
`ce_traceparent` and `ce_tracestate` headers (complaints/envelope.py reads and writes them).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

_PROPAGATOR = TraceContextTextMapPropagator()
_ENV_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_state: dict[str, Any] = {"provider": None, "tracer": trace.get_tracer("complaints")}


def endpoint_configured(otlp_endpoint: str | None) -> bool:
    return bool(otlp_endpoint) or any(os.environ.get(name) for name in _ENV_ENDPOINTS)


def configure_tracing(service: str, otlp_endpoint: str | None) -> bool:
    """Install the SDK's tracer provider with a batching OTLP exporter, if an endpoint is configured."""
    if _state["provider"] is not None:
        return True
    if not endpoint_configured(otlp_endpoint):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # An explicit endpoint is the collector's base URL; the OTEL_ variables are read by the exporter itself.
    exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces") if otlp_endpoint \
        else OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": f"complaints-{service}",
                                                        "service.namespace": "complaints"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _state["provider"], _state["tracer"] = provider, provider.get_tracer("complaints")
    log.info("tracing: exporting spans over OTLP/HTTP")
    return True


def enabled() -> bool:
    return _state["provider"] is not None


def flush_tracing() -> None:
    """Export what is buffered (at service stop; the provider's own exit hook shuts it down)."""
    provider = _state["provider"]
    if provider is not None:
        provider.force_flush()


def use_provider(provider: Any) -> None:
    """Trace this module's spans into the given provider (tests: one with an in-memory exporter);
    None turns tracing off again. The process's global provider is left alone."""
    _state["provider"] = provider
    _state["tracer"] = provider.get_tracer("complaints") if provider is not None else trace.get_tracer("complaints")


def parent_of(traceparent: str | None, tracestate: str | None) -> otel_context.Context | None:
    """The context a record's `ce_traceparent` / `ce_tracestate` name (None when it has none)."""
    if not traceparent:
        return None
    carrier = {"traceparent": traceparent}
    if tracestate:
        carrier["tracestate"] = tracestate
    return _PROPAGATOR.extract(carrier)


def current_headers(span: Span | None = None) -> list[tuple[str, bytes]]:
    """`ce_traceparent` (and `ce_tracestate`) for the given span, else the current one; [] outside a trace."""
    ctx = trace.set_span_in_context(span) if span is not None else None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=ctx)
    return [(f"ce_{name}", value.encode()) for name, value in carrier.items()]


def start_consumer_span(name: str, traceparent: str | None, tracestate: str | None,
                        attributes: dict[str, str | int] | None = None) -> Span:
    """A CONSUMER span for one record, child of the trace the record carries; the caller ends it
    (a batch handles many records at once, so it is not made the current span)."""
    span: Span = _state["tracer"].start_span(name, context=parent_of(traceparent, tracestate),
                                             kind=SpanKind.CONSUMER, attributes=attributes)
    return span
