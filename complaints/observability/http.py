"""The HTTP edge of every service: `/metrics`, request metrics, server spans, flushing traces at stop.

`instrument_app(app, service, settings)` is the one line each service's wiring adds. It installs:
- `GET /metrics` (Prometheus text exposition format, the process's default registry);
- an ASGI middleware counting and timing every request by route template and status code
  (`complaints_http_requests_total`, `complaints_http_request_duration_seconds`), never by path:
  a path holds complaint ids;
- when tracing is configured (tracing.py), OpenTelemetry's ASGI middleware, so each request is a
  SERVER span (continuing a caller's `traceparent`), named by its route template.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from complaints.observability import tracing
from complaints.observability.metrics import HTTP_DURATION, HTTP_REQUESTS
from complaints.settings import Settings

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Run before each scrape (gauges computed from the live process: timer age, consumer lag).
_on_scrape: dict[str, Callable[[], None]] = {}


def on_scrape(name: str, refresh: Callable[[], None]) -> None:
    _on_scrape[name] = refresh


def exposition() -> bytes:
    for refresh in list(_on_scrape.values()):
        refresh()
    return generate_latest(REGISTRY)


async def metrics() -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Pure ASGI: one counter increment and one histogram observation per request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if tracing.enabled():  # routed by now; the span may end with the response's last byte
                    _name_span(scope)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: dict[str, Any], status: int, took: float) -> None:
        route = _route(scope)
        method = scope["method"] if scope["method"] in _METHODS else "other"
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (HTTP_REQUESTS.labels(method, route, str(status)),
                                              HTTP_DURATION.labels(method, route))
        children[0].inc()
        children[1].observe(took)


def _route(scope: dict[str, Any]) -> str:
    return getattr(scope.get("route"), "path", None) or "unmatched"


def _name_span(scope: dict[str, Any]) -> None:
    """The server span named by its route template (`POST /complaints/{complaint_id}/follow-up`)."""
    span = trace.get_current_span()
    if span.is_recording():
        route = _route(scope)
        span.update_name(f"{scope['method']} {route}")
        span.set_attribute("http.route", route)


def instrument_app(app: FastAPI, service: str, settings: Settings) -> FastAPI:
    """Metrics and (when configured) tracing for one service's app; traces are flushed at stop."""
    if settings.metrics_enabled:
        app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
        app.add_middleware(MetricsMiddleware)
    if tracing.configure_tracing(service, settings.otlp_endpoint):
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        app.add_middleware(OpenTelemetryMiddleware, exclude_spans=["receive", "send"],
                           default_span_details=lambda scope: (scope.get("method", "HTTP"), {}))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        try:
            async with inner(a) as state:
                yield state
        finally:
            tracing.flush_tracing()

    app.router.lifespan_context = lifespan
    return app
