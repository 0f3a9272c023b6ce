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


def lease_holder_pid(url: str, terminate: bool = False) -> int | None:
    """The backend holding the writer lease of the read model at `url` (pg_locks splits the 64-bit key)."""
    from sqlalchemy import create_engine, text

    from services.projections.storage.lease import lease_key

    engine = create_engine(url)
    with engine.connect() as conn:
        db, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
        key = lease_key(db, schema) & 0xFFFFFFFFFFFFFFFF
        pid = conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
                                "classid::bigint = :hi AND objid::bigint = :lo AND objsubid = 1"),
                           {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).scalar()
        if pid is not None and terminate:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    engine.dispose()
    return None if pid is None else int(pid)


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_a_writer_whose_lease_session_ends_stops_writing_and_one_replica_writes_again(
        proj_settings: Settings, publisher: Publisher) -> None:
    events = [ev for i in range(300) for ev in sandwich(f"l{i}")]
    catalog = Catalog(proj_settings.projections_database_url)
    ports = free_port(), free_port()
    procs = [start_service(proj_settings, ports[0])]
    try:
        await asyncio.to_thread(wait_until, lambda: health(ports[0]).get("role") == "writer", 60, "a first writer")
        procs.append(start_service(proj_settings, ports[1]))
        await asyncio.to_thread(wait_until, lambda: health(ports[1]).get("status") == "ok", 60, "the second replica")
        await publisher.events(events[: len(events) // 2])
        url = proj_settings.projections_database_url
        ended = lease_holder_pid(url, terminate=True)
        assert ended is not None, "the lease is a held lock"
        writers: list[int] = []

        def one_writer_again() -> bool:
            roles = [health(p).get("role") for p in ports]
            writers.append(roles.count("writer"))
            return roles.count("writer") == 1 and roles.count("reader") == 1

        await asyncio.sleep(1.5)  # the old writer notices (lease checked every second) ...
        await asyncio.to_thread(wait_until, one_writer_again, TAKEOVER_S, "one writer again")  # ... one takes over
        assert max(writers) <= 1, f"never two writers at once: {writers}"
        holder = lease_holder_pid(url)
        assert holder is not None and holder != ended, "the writer holds the lease in a new session"
        await publisher.events(events[len(events) // 2:])
        await asyncio.to_thread(wait_until, lambda: applied(catalog) >= len(events), 60, "every event")
        counters = queries.counters(catalog.ensure_active())
        assert counters["applied"] == len(events) and counters.get("duplicates", 0) == 0, counters
    finally:
        for proc in procs:
            stop(proc)
        catalog.dispose()
