"""Projections high availability on PostgreSQL: two real replicas, one writes (the advisory lock);
SIGKILL the writer mid-stream and the reader takes over within seconds, resuming from the stored
offsets — every case equals the pure fold of its events, nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import defaultdict
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from complaints.broker.embedded import free_port
from complaints.readmodel.casedoc import policy_first_response
from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from complaints.settings import Settings
from services.projections.storage import queries
from services.projections.storage.store import Catalog
from tests.integration.projections.conftest import Publisher
from tests.integration.projections.ingest.test_crash import applied, start_service, wait_until
from tests.stack import FAST_POLICY
from tests.unit.readmodel.factory import T0, M, sandwich, unhappy

CASES = 1200
TAKEOVER_S = 10.0


def health(port: int) -> dict[str, Any]:
    try:
        return dict(httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json())
    except httpx.HTTPError:
        return {}


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_sigkill_of_the_writer_hands_writing_to_the_other_replica_exactly_once(
        proj_settings: Settings, publisher: Publisher) -> None:
    events = [ev for i in range(CASES) for ev in (unhappy(f"h{i}", T0 + i * M) if i % 2 else sandwich(f"h{i}"))]
    catalog = Catalog(proj_settings.projections_database_url)
    ports = free_port(), free_port()
    first = start_service(proj_settings, ports[0])
    await asyncio.to_thread(wait_until, lambda: health(ports[0]).get("role") == "writer", 60, "a first writer")
    second = start_service(proj_settings, ports[1])
    try:
        await asyncio.to_thread(wait_until, lambda: health(ports[1]).get("status") == "ok", 60, "the second replica")
        assert health(ports[1])["role"] == "reader", "one writer at a time: the second replica only reads"

        async def stream() -> list[str]:  # a steady stream: the kill lands while events keep coming
            out: list[str] = []
            for start in range(0, len(events), 40):
                out += await publisher.events(events[start:start + 40])
                await asyncio.sleep(0.05)
            return out

        publishing = asyncio.create_task(stream())
        await asyncio.to_thread(wait_until, lambda: applied(catalog) > len(events) // 10, 60, "the first batches")
        first.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        first.wait(10)
        assert not publishing.done(), "killed mid-stream"
        await asyncio.to_thread(wait_until, lambda: health(ports[1]).get("role") == "writer", TAKEOVER_S,
                                f"the reader to take over writing within {TAKEOVER_S} s")
        took_over = time.monotonic() - killed
        positions = await publishing
        await asyncio.to_thread(wait_until, lambda: applied(catalog) >= len(events), 60, "the new writer to catch up")
        gen = catalog.ensure_active()
        counters = queries.counters(gen)
        assert counters["applied"] == len(events) and counters.get("duplicates", 0) == 0, counters
        view = health(ports[1])
        assert view["status"] == "ok" and view["role"] == "writer", view
    finally:
        first.kill()
        stop(second)
    print(f"takeover after SIGKILL: {took_over:.2f} s")

    by_case: dict[str, list[Any]] = defaultdict(list)
    for ev, pos in zip(events, positions, strict=True):
        by_case[ev.event.complaint_id].append((ev.envelope(), pos))
    t = gen.tables
    with gen.engine.connect() as conn:
        docs = {r.complaint_id: r.doc for r in conn.execute(select(t.cases.c.complaint_id, t.cases.c.doc))}
        assert conn.execute(select(func.count()).select_from(t.timeline)).scalar() == len(events)
    assert docs.keys() == by_case.keys()
    sla = policy_first_response(FAST_POLICY)
    for cid, items in by_case.items():
        assert Case.model_validate_json(docs[cid]) == fold(items, sla)[0], cid
    catalog.dispose()
