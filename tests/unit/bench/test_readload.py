"""The read phase's HTTP load asks the routes for the same filters the in-process reads use."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from bench.read import _queue_requests
from bench.readload import load_requests, query
from complaints.readmodel.queue import QueueFilter


def test_a_queue_filter_becomes_the_routes_query_parameters() -> None:
    f = QueueFilter(status=("received", "reopened"), open=True, level="supervisor", department="finance",
                    channel="social", breached=False, customer="cust-7", received_from=datetime(2026, 1, 5, tzinfo=UTC),
                    received_to=datetime(2026, 1, 6, tzinfo=UTC), assignee="sam", unassigned=False)
    assert parse_qsl(query(f, "newest", as_of="2026-01-05T12:00:00+00:00")) == [
        ("status", "received"), ("status", "reopened"), ("open", "true"), ("level", "supervisor"),
        ("department", "finance"), ("channel", "social"), ("breached", "false"), ("customer", "cust-7"),
        ("from", "2026-01-05T00:00:00+00:00"), ("to", "2026-01-06T00:00:00+00:00"), ("assignee", "sam"),
        ("unassigned", "false"), ("sort", "newest"), ("limit", "50"), ("as_of", "2026-01-05T12:00:00+00:00")]
    assert query(QueueFilter(), "urgency") == "sort=urgency&limit=50"


def test_the_load_covers_every_filter_and_sort_and_the_other_heavy_reads() -> None:
    reads = load_requests(100_000, [f"bench-{n:08d}" for n in range(20)])
    labels = {label for label, _, _ in reads}
    assert {f"queue {name}" for name, _, _ in _queue_requests()} <= labels
    assert {"kpis whole history", "kpis whole history channel=social", "queue as_of one minute ago", "case view",
            "case view as_of", "health (ceiling)"} <= labels
    assert all(follow == (label.startswith("queue ") and "as_of" not in label) for label, _, follow in reads)
