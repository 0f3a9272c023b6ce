"""`complaints dev` prints every service's /metrics URL; each answers Prometheus's text format with
the figures an operator watches, and every metric the dashboard queries is among them."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from complaints.devstack import available_services
from tests.e2e.test_dev_stack import start_dev_stack

ROOT = Path(__file__).resolve().parents[2]
WORKERS = ("escalation", "recovery", "followup")


def scrape(url: str) -> dict[str, Metric]:
    reply = httpx.get(url, timeout=5)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain"), reply.text
    return {family.name: family for family in text_string_to_metric_families(reply.text)}


def value(families: dict[str, Metric], sample: str, **labels: str) -> float:
    family = families[re.sub(r"_(total|bucket|count|sum)$", "", sample)]
    return sum(s.value for s in family.samples if s.name == sample and labels.items() <= s.labels.items())


def test_every_service_of_the_dev_stack_serves_prometheus_metrics(tmp_path: Path) -> None:
    ports, proc = start_dev_stack(tmp_path)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (lines and "stack ready in" in lines[-1]):
            line = proc.stdout.readline()
            assert line, "dev stack exited early:\n" + "".join(lines)
            lines.append(line)
        printed = [re.match(r"metrics\s+(http://\S+/metrics)\s+(\w+)", line) for line in lines]
        urls = {m.group(2): m.group(1) for m in printed if m}
        assert set(urls) == {s.name for s in available_services()}, "".join(lines)

        reply = httpx.post(f"http://127.0.0.1:{ports['INTAKE']}/complaints", json={
            "channel": "web", "customer": {"id": "cust-42"}, "description": "The checkout page hangs"})
        assert reply.status_code == 202
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until every worker and the projector have the complaint
            scraped = {name: scrape(url) for name, url in urls.items()}
            done = [value(scraped[w], "complaints_worker_events_total", event_type="ComplaintReceived",
                          outcome="processed") for w in WORKERS]
            projected = value(scraped["projections"], "complaints_projector_records_total",
                              event_type="ComplaintReceived", outcome="projected")
            if all(done) and projected:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"not every service counted the complaint: {done}, projected {projected}")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)

    intake = scraped["intake"]
    assert value(intake, "complaints_http_requests_total", method="POST", route="/complaints", status="202") == 1
    assert value(intake, "complaints_http_request_duration_seconds_count", route="/complaints") == 1
    assert value(intake, "complaints_vault_operations_total", operation="seal_many", outcome="ok") >= 1
    for worker in WORKERS:
        families = scraped[worker]
        assert 0 <= value(families, "complaints_worker_last_tick_age_seconds") < 10
        lag = families["complaints_consumer_lag_records"].samples
        assert lag and {s.labels["topic"] for s in lag} >= {"ComplaintReceived"}
        assert all(s.value >= 0 for s in lag)
        assert value(families, "complaints_http_requests_total", route="/health", status="200") >= 1
    # a web complaint at the front line: the recovery worker offers a recovery, by policy
    assert value(scraped["recovery"], "complaints_decisions_total", decision="RecoveryOffered", reason="policy",
                 level="front_line") == 1
    for name, families in scraped.items():  # no complaint or customer id in any label
        for family in families.values():
            for sample in family.samples:
                assert not {"cust-42", reply.json()["complaint_id"]} & set(sample.labels.values()), (name, sample)

    exposed = set().union(*(set(f) for f in scraped.values()))
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/complaints.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for metric in re.findall(r"\b(complaints_[a-z_]+)\b", target["expr"]):
                assert re.sub(r"_(total|bucket|count|sum)$", "", metric) in exposed, (panel["title"], metric)
