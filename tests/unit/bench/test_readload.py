"""The read phase's HTTP load asks the routes for the same filters the in-process reads use."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
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


def _deployment(readers: int, rss: dict[str, float], lag_max: float) -> dict[str, object]:
    lag = {"n": 10, "p50_ms": 50.0, "p99_ms": lag_max, "max_ms": lag_max, "failed": 0, "ack_p50_ms": 4.0}
    return {"readers": readers, "clients": 8, "seconds": 30.0, "rate_per_s": 20.0, "requests_per_s": 40.0,
            "lag": lag, "commit_lag": {**lag, "n": 10}, "by_route": {"health (ceiling)": {"n": 5, "p99_ms": 9.0}},
            "processes": {name: {"max": mb, "p50": mb, "before": mb, "after": mb, "cpu_cores": 0.5}
                          for name, mb in rss.items()},
            "rss_mb_max": max(rss.values()), "rss_mb_p50": max(rss.values()), "rss_mb_before": 1.0,
            "rss_mb_after": 1.0, "service_cpu_cores": 1.0}


def test_the_split_deployment_has_figures_of_its_own_naming_each_process() -> None:
    from bench.context import DEFAULT, Run
    from bench.readload import figures

    run = Run(DEFAULT, Path("/nonexistent"), None)
    single = _deployment(0, {"projections": 140.0}, 1200.0)
    split = _deployment(1, {"writer": 120.0, "reader-1": 260.0}, 300.0)
    figures(run, "SQLite", {"cases": 100_000, "http": {**single, "split": split}})
    rows = {f.figure: f for f in run.figures}
    head = "read (SQLite) over HTTP, 8 client processes"
    split_head = f"{head}, split: 1 writer + 1 reader process"
    assert rows[f"{head}: live lag, publish → committed by the projector, max, 100,000 cases"].verdict == "missed"
    assert rows[f"{split_head}: live lag, publish → committed by the projector, max, 100,000 cases"].verdict == "met"
    rss = rows[f"{split_head}: projections RSS, max while they run the heaviest reads, 100,000 cases"]
    assert rss.verdict == "missed" and "writer 120.0 MB" in rss.value and "reader-1 260.0 MB" in rss.value
