"""Every Prometheus metric the services expose, defined once (prometheus-client, default registry).

Conventions (https://prometheus.io/docs/practices/naming/): a `complaints_` prefix, the unit in
the name (`_seconds`, `_records`), `_total` on counters. Labels take values from small, fixed
sets (event type, outcome, level, reason, route template, status code, topic, partition):
never a complaint, customer, event or agent id, nor anything a customer wrote. Which service
a series comes from is the scrape target's `job` label (deploy/prometheus/prometheus.yml).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from schemas.events import TOPICS

#: Latency buckets (seconds): intake answers in milliseconds; a slow broker ack takes seconds.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "complaints_http_requests_total", "HTTP requests answered, by route template and status code.",
    ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "complaints_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
    ["method", "route"], buckets=LATENCY_BUCKETS)

#: outcome: processed (decided and saved), duplicate (already applied: nothing changed),
#: dead_lettered (copied to `<topic>.dlq`), parked (held back while the broker or the database
#: is down, retried later), skipped_unknown (an event type this version does not know).
WORKER_EVENTS = Counter(
    "complaints_worker_events_total", "Events a worker consumed, by event type and outcome.",
    ["event_type", "outcome"])
DECISIONS = Counter(
    "complaints_decisions_total",
    "Events a worker decided to publish, by decision (event), reason and level.",
    ["decision", "reason", "level"])
SLA_BREACHES = Counter(
    "complaints_sla_breaches_total", "First-response SLAs that passed unanswered, by the level that missed it.",
    ["level"])
LAST_TICK = Gauge(
    "complaints_worker_last_tick_timestamp_seconds", "When the worker's timer last looked for due cases (Unix time).")
TICK_AGE = Gauge(
    "complaints_worker_last_tick_age_seconds", "Seconds since the worker's timer last looked for due cases.")
CONSUMER_LAG = Gauge(
    "complaints_consumer_lag_records", "Records on the log not yet consumed, per topic partition.",
    ["topic", "partition"])

PROJECTED = Counter(
    "complaints_projector_records_total", "Records the projector read, by event type and outcome.",
    ["event_type", "outcome"])

VAULT_OPERATIONS = Counter(
    "complaints_vault_operations_total", "Calls to the personal-data vault, by operation and outcome.",
    ["operation", "outcome"])
VAULT_DURATION = Histogram(
    "complaints_vault_operation_duration_seconds", "Time a vault call took, by operation.",
    ["operation"], buckets=LATENCY_BUCKETS)


_LABELS: dict[str | None, str] = {}


def event_type_label(ce_type: str | None) -> str:
    """`complaints.Escalated.v1` -> `Escalated`: a small fixed set (anything else is `other`)."""
    label = _LABELS.get(ce_type)
    if label is None:
        parts = (ce_type or "").split(".")
        label = parts[1] if len(parts) == 3 and parts[0] == "complaints" and parts[1] in TOPICS else "other"
        if len(_LABELS) < 1000:  # a bounded memo: record types come from outside
            _LABELS[ce_type] = label
    return label
