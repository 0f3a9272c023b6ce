"""Exactly-once effect across a crash: SIGKILL the projections service mid-stream, restart it,
and every case equals the pure fold of its events — nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import defaultdict

import httpx
from sqlalchemy import func, select

from complaints.broker.embedded import free_port
from complaints.readmodel.casedoc import policy_first_response
from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from complaints.settings import Settings
from services.projections.storage import queries
from services.projections.storage.store import Catalog
from tests.integration.projections.conftest import Publisher
from tests.stack import FAST_POLICY, service_env
from tests.unit.readmodel.factory import T0, M, sandwich, unhappy

CASES = 1000


def start_service(settings: Settings, port: int, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**service_env(settings), "COMPLAINTS_HOST": "127.0.0.1", "COMPLAINTS_API_PORT": str(port), **(extra or {})}
    return subprocess.Popen([sys.executable, "-m", "services.projections"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def applied(catalog: Catalog) -> int:
    gen = catalog.active()
    return 0 if gen is None else sum(queries.offsets(gen).values())


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


async def test_sigkill_mid_stream_then_restart_applies_every_event_exactly_once(
        proj_settings: Settings, publisher: Publisher) -> None:
    events = [ev for i in range(CASES) for ev in (unhappy(f"k{i}", T0 + i * M) if i % 2 else sandwich(f"k{i}"))]
    positions = await publisher.events(events)
    total = len(positions)
    catalog = Catalog(proj_settings.projections_database_url)
    port = free_port()
    first = start_service(proj_settings, port)
    try:
        await asyncio.to_thread(wait_until, lambda: applied(catalog) > total // 10, 60, "the first batches")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = applied(catalog)
        assert 0 < killed_at < total, f"killed after {killed_at} of {total}: not mid-stream"
    finally:
        if first.poll() is None:
            first.kill()
    second = start_service(proj_settings, port)
    try:
        await asyncio.to_thread(wait_until, lambda: applied(catalog) >= total, 60, "the restart to catch up")
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.status_code == 200, "the restarted service serves its API"
        gen = catalog.ensure_active()
        counters = queries.counters(gen)
        assert counters["applied"] == total and counters.get("duplicates", 0) == 0, counters
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            second.kill()
            raise
    # uvicorn shuts down gracefully, then re-raises the signal it caught: -SIGTERM is a clean stop.
    stderr = (second.stderr.read() if second.stderr else b"").decode()
    assert second.returncode in (0, -signal.SIGTERM) and "Traceback" not in stderr, stderr[-2000:]

    by_case: dict[str, list] = defaultdict(list)
    for ev, pos in zip(events, positions, strict=True):
        by_case[ev.event.complaint_id].append((ev.envelope(), pos))
    t = gen.tables
    with gen.engine.connect() as conn:
        docs = {r.complaint_id: r.doc for r in conn.execute(select(t.cases.c.complaint_id, t.cases.c.doc))}
        assert conn.execute(select(func.count()).select_from(t.timeline)).scalar() == total
    assert docs.keys() == by_case.keys()
    sla = policy_first_response(FAST_POLICY)  # the policy the service ran with
    for cid, items in by_case.items():
        assert Case.model_validate_json(docs[cid]) == fold(items, sla)[0], cid
    catalog.dispose()
