"""Replay shards (one process per group of partition numbers) write one generation: even a case whose
events land in different shards, folded by both at once in tiny batches, comes out equal to the
live projection and to the pure fold of its events."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict

from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from complaints.settings import Settings
from services.projections.ingest.replay import replay_async
from tests.integration.projections.conftest import FAST, Publisher, latest, serve
from tests.integration.projections.ingest.test_flow import stored_docs
from tests.integration.projections.snapshots import active_snapshot, assert_same
from tests.unit.readmodel.factory import T0, D, sandwich, unhappy


async def test_cases_spread_over_shards_replay_to_the_live_projection(proj_settings: Settings,
                                                                      publisher: Publisher) -> None:
    url = proj_settings.projections_database_url
    events = [ev for i in range(12) for ev in (unhappy(f"s{i}", T0 + i * D) if i % 2 else sandwich(f"s{i}"))]
    positions = []
    for n, ev in enumerate(events):  # each case's events scattered over partition numbers (its key stays its id)
        rec = ev.record()
        positions.append(await publisher.raw(rec.topic, rec.key, rec.value, rec.headers, partition=n % 6))
    by_case: dict[str, list] = defaultdict(list)
    for ev, pos in zip(events, positions, strict=True):
        by_case[ev.event.complaint_id].append((ev.envelope(), pos))
    assert any(len({int(p.split(":")[1]) % 2 for _, p in items}) == 2 for items in by_case.values())

    async with serve(proj_settings) as client:
        assert (await client.get("/complaints", params={"min_position": latest(positions)})).status_code == 200
    _, live = await asyncio.to_thread(active_snapshot, url)
    stats = await replay_async(proj_settings, options=dataclasses.replace(
        FAST, replay_processes=2, replay_records_per_process=1, replay_batch_records=3))
    assert stats.events == len(events) and stats.applied == len(events) and stats.duplicates == 0
    _, rebuilt = await asyncio.to_thread(active_snapshot, url)
    assert_same(live, rebuilt)
    docs = await asyncio.to_thread(stored_docs, url)
    for cid, items in by_case.items():
        assert Case.model_validate_json(docs[cid]) == fold(items)[0], cid
