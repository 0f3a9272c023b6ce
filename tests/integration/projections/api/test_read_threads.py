"""One projections process runs a bounded number of reads at once, and `/health` shows the writer's time.

Unbounded, 8 clients' reads in flight starved the live writer of the GIL (bench/analysis-read.md, "Reads and
the writer in one process"): `COMPLAINTS_PROJECTIONS_READ_THREADS` bounds them; `write_s` / `write_cpu_s`
let an operator see a writer that waits.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread

from complaints.settings import Settings
from tests.integration.projections.conftest import Publisher, latest, serve
from tests.unit.readmodel.factory import T0, received


async def test_reads_at_once_are_bounded_and_health_shows_the_writers_wall_and_cpu_time(
        proj_settings: Settings, publisher: Publisher) -> None:
    limiter = anyio.to_thread.current_default_thread_limiter()
    before = limiter.total_tokens
    settings = proj_settings.model_copy(update={"projections_read_threads": 1})
    async with serve(settings) as client:
        assert limiter.total_tokens == 1
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
    assert limiter.total_tokens == before  # the loop's own limit is given back at shutdown
