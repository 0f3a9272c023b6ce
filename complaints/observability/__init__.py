"""Metrics, traces and logs for every service, installed at the edges where each service is wired.

- `metrics`: every Prometheus metric, defined once; `http`: the `/metrics` route and the ASGI
  middleware that times every request; `tracing`: OpenTelemetry over OTLP (off unless configured)
  and the `ce_traceparent` propagation; `logs`: the one JSON-lines logging configuration;
  `worker` (with `records`) / `projector` / `vault`: edges around a worker's entry points, the
  projector's batch step and the personal-data vault.

May import: the standard library, prometheus-client, opentelemetry, pythonjsonlogger, `schemas`
and `complaints.settings`. Nothing in `complaints.domain` imports this package.
"""
