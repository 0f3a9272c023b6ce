"""Replay: the projection rebuilt from offset 0 equals the one built live, field for field, and is
swapped in while reads go on; the live projector then continues on the new generation."""

from __future__ import annotations

import asyncio

from complaints.settings import Settings
from services.projections.ingest.replay import replay_async
from services.projections.storage.store import Catalog
from tests.integration.projections.conftest import Publisher, latest, serve
from tests.integration.projections.snapshots import active_snapshot, assert_same
from tests.unit.readmodel.factory import T0, D, kpi_cases, received, sandwich, unhappy


async def test_replay_equals_live_and_swaps_without_stopping_reads(proj_settings: Settings,
                                                                   publisher: Publisher) -> None:
    url = proj_settings.projections_database_url
    events = kpi_cases() + unhappy("u1") + sandwich("s1") + unhappy("u2", T0 + 3 * D)
    async with serve(proj_settings) as client:
        positions = await publisher.events(events)
        positions += await publisher.events(events[:3])  # redelivered duplicates
        rec = events[0].record()
        positions.append(await publisher.raw(rec.topic, rec.key, b"\x00garbage", rec.headers))
        r = await client.get("/complaints", params={"min_position": latest(positions)})
        assert r.status_code == 200
        live_gen, live = await asyncio.to_thread(active_snapshot, url)
        assert len(live["cases"]) == 9 and len(live["timeline"]) == len(events)

        statuses: list[int] = []
        done = asyncio.Event()

        async def keep_reading() -> None:
            while not done.is_set():
                statuses.append((await client.get("/complaints/u1")).status_code)
                await asyncio.sleep(0.005)

        reader = asyncio.create_task(keep_reading())
        stats = await replay_async(proj_settings)
        done.set()
        await reader
        assert statuses and set(statuses) == {200}, "reads go on during the replay and the swap"
        assert stats.events == len(positions) and stats.applied == len(events) and stats.duplicates == 3
        assert stats.skipped == 1 and stats.events_per_s > 0 and stats.generation != live_gen

        new_gen, rebuilt = await asyncio.to_thread(active_snapshot, url)
        assert new_gen == stats.generation
        assert_same(live, rebuilt)

        [late] = await publisher.events([received("late", T0)])
        r = await client.get("/complaints/late", params={"min_position": late})
        assert r.status_code == 200 and r.json()["status"] == "received"
        assert (await client.get("/health")).json()["generation"] == new_gen

    again = await replay_async(proj_settings)  # a second replay retires this one and drops the first
    states = {g["id"]: g["state"] for g in Catalog(url).list()}
    assert states == {live_gen: "dropped", new_gen: "retired", again.generation: "active"}
    assert again.applied == len(events) + 1
