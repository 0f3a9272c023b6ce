"""`/metrics` and the HTTP middleware: counted by route template and status, never by path."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from complaints.observability.http import instrument_app
from complaints.settings import Settings


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def app(metrics_enabled: bool = True) -> FastAPI:
    api = FastAPI()

    @api.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404, "no such thing")
        return {"id": thing_id}

    return instrument_app(api, "test", Settings(metrics_enabled=metrics_enabled, otlp_endpoint=None))


def test_requests_are_counted_and_timed_by_route_template_and_status() -> None:
    labels = {"method": "GET", "route": "/things/{thing_id}"}
    ok, missing = sample("complaints_http_requests_total", **labels, status="200"), \
        sample("complaints_http_requests_total", **labels, status="404")
    timed = sample("complaints_http_request_duration_seconds_count", **labels)
    with TestClient(app()) as client:
        assert client.get("/things/c-123").status_code == 200
        assert client.get("/things/c-456").status_code == 200
        assert client.get("/things/missing").status_code == 404
        assert client.get("/nowhere/c-789").status_code == 404
        text = client.get("/metrics").text
    assert sample("complaints_http_requests_total", **labels, status="200") == ok + 2
    assert sample("complaints_http_requests_total", **labels, status="404") == missing + 1
    assert sample("complaints_http_request_duration_seconds_count", **labels) == timed + 3
    assert sample("complaints_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert "c-123" not in text and "c-789" not in text  # ids never become labels
    families = {f.name for f in text_string_to_metric_families(text)}
    assert {"complaints_http_requests", "complaints_http_request_duration_seconds"} <= families


def test_metrics_off_means_no_route_and_nothing_counted() -> None:
    labels = {"method": "GET", "route": "/things/{thing_id}", "status": "200"}
    before = sample("complaints_http_requests_total", **labels)
    with TestClient(app(metrics_enabled=False)) as client:
        assert client.get("/things/c-1").status_code == 200
        assert client.get("/metrics").status_code == 404
    assert sample("complaints_http_requests_total", **labels) == before
