"""Tiny batches and a tiny alignment budget (flow control under pressure all the time): the live
projector and a replay (in two shard processes) still apply every event once, each case equals the
pure fold of its events, and live equals replay."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict

from sqlalchemy import select

from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from complaints.settings import Settings
from services.projections.ingest.replay import replay_async
from services.projections.storage.store import Catalog
from tests.integration.projections.conftest import FAST, Publisher, latest, serve
from tests.integration.projections.snapshots import active_snapshot, assert_same
from tests.unit.readmodel.factory import T0, M, sandwich, unhappy

TIGHT = dataclasses.replace(FAST, batch_max_records=7, replay_batch_records=11, align_buffer_records=30,
                            fetch_max_bytes=4096, replay_processes=2, replay_records_per_process=1)


def stored_docs(url: str) -> dict[str, str]:
    catalog = Catalog(url)
    try:
        gen = catalog.ensure_active()
        t = gen.tables
        with gen.engine.connect() as conn:
            return {r.complaint_id: r.doc for r in conn.execute(select(t.cases.c.complaint_id, t.cases.c.doc))}
    finally:
        catalog.dispose()


async def test_tight_budgets_apply_everything_once_live_and_in_replay(proj_settings: Settings,
                                                                      publisher: Publisher) -> None:
    url = proj_settings.projections_database_url
    events = [ev for i in range(40) for ev in (unhappy(f"f{i}", T0 + i * M) if i % 3 else sandwich(f"f{i}"))]
    positions = await publisher.events(events)
    async with serve(proj_settings, TIGHT) as client:
        r = await client.get("/complaints", params={"min_position": latest(positions)})
        assert r.status_code == 200
        counters = (await client.get("/health")).json()["counters"]
        assert counters["applied"] == len(events) and counters.get("duplicates", 0) == 0
    by_case: dict[str, list] = defaultdict(list)
    for ev, pos in zip(events, positions, strict=True):
        by_case[ev.event.complaint_id].append((ev.envelope(), pos))
    docs = await asyncio.to_thread(stored_docs, url)
    assert docs.keys() == by_case.keys()
    for cid, items in by_case.items():
        assert Case.model_validate_json(docs[cid]) == fold(items)[0], cid

    _, live = await asyncio.to_thread(active_snapshot, url)
    stats = await replay_async(proj_settings, options=TIGHT)
    assert stats.events == len(events) and stats.applied == len(events)
    _, rebuilt = await asyncio.to_thread(active_snapshot, url)
    assert_same(live, rebuilt)
