"""What a stranger can send to the real intake process: bounded cost, clear refusals (422, 413, 429)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from complaints.broker.embedded import free_port
from complaints.settings import Settings
from tests.stack import ServiceProcess, Stack, service_env

HUGE = {"channel": "web", "customer": {"id": "x"}, "description": "d",
        "amount_at_stake": {"amount": "1e200000000", "currency": "USD"}}
FINE = {"channel": "web", "customer": {"email": "ana@example.com"}, "description": "Wrong sandwich"}


def rss_kb(proc: ServiceProcess) -> dict[str, int]:
    """Resident and peak resident memory of the service's own process, from /proc."""
    assert proc.proc is not None
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{proc.proc.pid}/status").read_text().splitlines())
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


@pytest.fixture(scope="module")
def intake(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    stack = Stack(module_settings, tmp_path_factory.mktemp("logs"))
    try:
        yield stack.start("intake")["intake"]
    finally:
        stack.stop()


def test_a_huge_exponent_amount_is_422_in_microseconds_and_costs_no_memory(intake: ServiceProcess) -> None:
    with httpx.Client(base_url=intake.url, timeout=10) as client:
        assert client.post("/complaints", json=FINE).status_code == 202  # warm: imports, connections, first group
        before = rss_kb(intake)
        timings, replies = [], []
        for _ in range(5):
            started = time.perf_counter()
            replies.append(client.post("/complaints", json=HUGE))
            timings.append(time.perf_counter() - started)
        after = rss_kb(intake)
    assert len(httpx.Request("POST", "/", json=HUGE).content) < 130  # the ~100-byte request of the issue
    for reply in replies:
        assert reply.status_code == 422, reply.text
        assert [e["field"] for e in reply.json()["errors"]] == ["amount_at_stake.amount"]
        assert "at most 12 digits and 2 decimals" in reply.json()["message"]
    assert statistics.median(timings) < 0.1, timings  # measured ~2 ms (round trip included)
    assert after["VmRSS"] - before["VmRSS"] < 10 * 1024, (before, after)
    assert after["VmHWM"] - before["VmHWM"] < 10 * 1024, (before, after)  # no short-lived spike either


def test_a_body_above_the_limit_is_413_with_or_without_a_content_length(intake: ServiceProcess) -> None:
    big = {**FINE, "description": "x" * 70_000}
    with httpx.Client(base_url=intake.url, timeout=10) as client:
        declared = client.post("/complaints", json=big)
        chunked = client.post("/complaints", content=iter([b'{"description": "', b"x" * 70_000, b'"}']),
                              headers={"content-type": "application/json"})
        assert client.post("/complaints", json=FINE).status_code == 202  # the service is fine afterwards
    for reply in (declared, chunked):
        assert reply.status_code == 413, reply.text
        assert reply.json()["message"] == "Request body too large: at most 65536 bytes are accepted"


def test_a_client_past_the_rate_limit_gets_429_with_retry_after(module_settings: Settings, tmp_path: Path) -> None:
    stack = Stack(module_settings.model_copy(update={"intake_rate_limit": "3/minute"}), tmp_path)
    try:
        service = stack.start("intake")["intake"]
        with httpx.Client(base_url=service.url, timeout=10) as client:
            statuses = [client.post("/complaints", json=FINE).status_code for _ in range(3)]
            refused = client.post("/complaints", json=FINE)
            invalid_too = client.post("/complaints", json={"nonsense": True})  # refused before validation
    finally:
        stack.stop()
    assert statuses == [202, 202, 202]
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "at most 3 per 1 minute" in refused.json()["detail"]
    assert invalid_too.status_code == 429


def test_intake_refuses_to_start_on_a_public_secret(module_settings: Settings, tmp_path: Path) -> None:
    unsafe = module_settings.model_copy(update={"pii_lookup_secret": SecretStr("dev-only-change-me")})
    service = ServiceProcess("intake", free_port(), service_env(unsafe), tmp_path / "intake.log").start()
    assert service.proc is not None
    assert service.proc.wait(timeout=60) == 2
    log = service.log.read_text()
    assert "intake refuses to start: COMPLAINTS_PII_LOOKUP_SECRET is a public default" in log
    assert "Traceback" not in log
