"""One projections process runs a bounded number of reads at once, and `/health` shows the writer's time.

Unbounded, 8 clients' reads in flight starved the live writer of the GIL (docs/projections.md, "Reads and the
writer in one process"): `COMPLAINTS_PROJECTIONS_READ_THREADS` bounds them; `write_s` / `write_cpu_s` let an
operator see a writer that waits.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import httpx

from complaints.settings import Settings
from services.projections.app import create_app
from tests.integration.projections.conftest import FAST, Publisher, latest
from tests.tokens import bearer
from tests.unit.readmodel.factory import T0, received


async def test_reads_at_once_are_bounded_and_health_shows_the_writers_wall_and_cpu_time(
        proj_settings: Settings, publisher: Publisher) -> None:
    app = create_app(proj_settings.model_copy(update={"projections_read_threads": 1}), FAST)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        spans: list[tuple[float, float]] = []
        lock = threading.Lock()

        def slow_read() -> None:
            t0 = time.monotonic()
            time.sleep(0.05)
            with lock:
                spans.append((t0, time.monotonic()))
        await asyncio.gather(*(runtime.read(slow_read) for _ in range(4)))
        spans.sort()
        assert len(spans) == 4 and all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), "one read at a time"

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://projections",
                                     timeout=30, headers=bearer(proj_settings, "support-agent")) as client:
            positions = await publisher.events([received(f"c-rt-{k}", T0) for k in range(3)])
            first = await client.get("/complaints/c-rt-0", params={"min_position": latest(positions)})
            assert first.status_code == 200, first.text
            # more reads than threads: they wait their turn and every one is answered
            answers = await asyncio.gather(*(client.get(f"/complaints/c-rt-{k % 3}") for k in range(12)),
                                           client.get("/kpis"), client.get("/complaints", params={"open": "true"}))
            assert [a.status_code for a in answers] == [200] * 14
            projector = (await client.get("/health")).json()["projector"]
    assert projector["batches"] >= 1
    assert projector["write_s"] >= projector["write_cpu_s"] > 0, projector
