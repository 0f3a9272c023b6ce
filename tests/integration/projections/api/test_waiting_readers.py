"""Many readers at once: those waiting on `min_position` are each answered and share the offset reads;
KPI answers are computed one at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from complaints.settings import Settings
from services.projections.api.deps import Runtime
from services.projections.app import create_app
from services.projections.options import ProjectionOptions
from services.projections.storage import kpistore
from tests.integration.projections.conftest import FAST, Publisher
from tests.tokens import bearer
from tests.unit.readmodel.factory import T0, M, received

WAITERS = 30


@asynccontextmanager
async def serving(settings: Settings, options: ProjectionOptions) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    app = create_app(settings, options)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://projections", timeout=30,
            headers=bearer(settings, "support-agent")) as client:
        yield client, app.state.runtime


async def _publish(publisher: Publisher, cid: str, n: int) -> str:
    rec = received(cid, T0 + n * M).record()
    return await publisher.raw("ComplaintReceived", rec.key, rec.value, rec.headers, partition=0)


async def test_readers_waiting_for_a_position_are_all_answered_once_it_is_applied(
        proj_settings: Settings, publisher: Publisher) -> None:
    async with serving(proj_settings, FAST) as (client, _):
        first = await _publish(publisher, "c-wait-a", 0)
        head, _, offset = first.rpartition(":")
        following = f"{head}:{int(offset) + 1}"  # the next record on that partition: not written yet
        waiting = [asyncio.create_task(client.get("/complaints/c-wait-b", params={"min_position": following}))
                   for _ in range(WAITERS)]
        await asyncio.sleep(0.3)
        assert not any(t.done() for t in waiting)
        assert await _publish(publisher, "c-wait-b", 1) == following
        answers = await asyncio.gather(*waiting)
    assert [r.status_code for r in answers] == [200] * WAITERS
    assert {r.json()["complaint_id"] for r in answers} == {"c-wait-b"}


async def test_waiting_readers_share_the_reads_of_the_stored_offsets(proj_settings: Settings,
                                                                    publisher: Publisher) -> None:
    """Each waiter used to read the offsets itself every 50 ms; now one read at a time serves them all."""
    wait_s = 0.5
    async with serving(proj_settings, ProjectionOptions(read_wait_s=wait_s, poll_timeout_ms=100)) as (client, rt):
        first = await _publish(publisher, "c-share", 0)
        head, _, offset = first.rpartition(":")
        ahead = f"{head}:{int(offset) + 1000}"
        before = rt.stored.reads
        answers = await asyncio.gather(*(client.get("/complaints/c-share", params={"min_position": ahead})
                                         for _ in range(WAITERS)))
        reads = rt.stored.reads - before
    assert [r.status_code for r in answers] == [409] * WAITERS
    one_waiter = wait_s / 0.05 + 1  # what a single waiter reads in its bounded wait
    assert 1 <= reads <= 3 * one_waiter, reads  # not WAITERS times as many


async def test_concurrent_kpi_requests_are_computed_one_at_a_time(proj_settings: Settings, publisher: Publisher,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Each KPI answer holds its window's tally rows in memory: the process computes one at a time."""
    running, most = 0, 0
    real = kpistore.kpi_report

    def counted(*args: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            time.sleep(0.02)  # long enough for the others to arrive meanwhile
            return real(*args)
        finally:
            running -= 1

    monkeypatch.setattr(kpistore, "kpi_report", counted)
    async with serving(proj_settings, FAST) as (client, _):
        pos = await _publish(publisher, "c-kpi", 0)
        alone = (await client.get("/kpis", params={"min_position": pos})).json()
        answers = await asyncio.gather(*(client.get("/kpis", params=params) for params in [{}, {"channel": "web"}] * 6))
    assert [r.status_code for r in answers] == [200] * 12 and most == 1
    assert alone["volume"] == answers[0].json()["volume"] == answers[1].json()["volume"] == 1
