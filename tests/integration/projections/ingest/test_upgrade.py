"""Upgrades: a read model built by an older release (another `SCHEMA_VERSION`) is rebuilt from the log by
the writer before it projects again; meanwhile reads answer 503 naming the cause; a newer one is never
written into."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text, update

from complaints.settings import Settings
from services.projections.storage.store import Catalog
from services.projections.storage.tables import SCHEMA_VERSION, generations
from tests.integration.projections.conftest import FAST, Publisher, latest, serve
from tests.integration.projections.snapshots import active_snapshot, assert_same
from tests.unit.readmodel.factory import kpi_cases, unhappy


def _mark(url: str, version: int, drop_kpis: bool) -> int:
    """Make the active generation look as another release left it: its version, and (older) no KPI tallies."""
    catalog = Catalog(url)
    try:
        gen = catalog.ensure_active()
        with catalog.engine.begin() as conn:
            conn.execute(update(generations).where(generations.c.id == gen.id).values(schema_version=version))
        if drop_kpis:
            with gen.engine.begin() as conn:
                conn.execute(text(f"DROP TABLE {gen.tables.kpis.name}"))
        return gen.id
    finally:
        catalog.dispose()


async def _health_until(client: httpx.AsyncClient, done: Callable[[dict[str, Any]], object],
                        tries: int = 600) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(tries):
        body = (await client.get("/health")).json()
        if done(body):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"health never got there: {body}")


async def test_an_older_read_model_is_rebuilt_before_projecting(proj_settings: Settings,
                                                                 publisher: Publisher) -> None:
    url = proj_settings.projections_database_url
    events = kpi_cases() + unhappy("u1")
    async with serve(proj_settings) as client:
        positions = await publisher.events(events)
        assert (await client.get("/complaints", params={"min_position": latest(positions)})).status_code == 200
    live_gen, live = await asyncio.to_thread(active_snapshot, url)
    old = await asyncio.to_thread(_mark, url, SCHEMA_VERSION - 1, True)

    async with serve(proj_settings, dataclasses.replace(FAST, run_projector=False)) as reader:
        r = await reader.get("/complaints/u1")
        assert r.status_code == 503 and r.headers["retry-after"]
        assert f"schema {SCHEMA_VERSION - 1}" in r.json()["detail"] and "rebuilt from the log" in r.json()["detail"]
        assert (await reader.get("/kpis")).status_code == 503, "the old shape has no tallies: never a 500"
        health = (await reader.get("/health")).json()
        assert health["generation"] == old and health["outdated"]

    async with serve(proj_settings) as client:
        health = await _health_until(client, lambda b: b["generation"] != old and b["projector"]["running"])
        assert health["outdated"] is None
        new_gen, rebuilt = await asyncio.to_thread(active_snapshot, url)
        assert new_gen == health["generation"] and new_gen != live_gen
        assert_same(live, rebuilt)  # field for field, KPI tallies included
        late = latest(await publisher.events(unhappy("u2")))
        r = await client.get("/complaints/u2", params={"min_position": late})
        assert r.status_code == 200, "it projects again, on the new generation"


async def test_a_newer_read_model_is_never_written(proj_settings: Settings, publisher: Publisher) -> None:
    url = proj_settings.projections_database_url
    async with serve(proj_settings) as client:
        positions = await publisher.events(kpi_cases())
        assert (await client.get("/complaints", params={"min_position": latest(positions)})).status_code == 200
    _, before = await asyncio.to_thread(active_snapshot, url)
    newer = await asyncio.to_thread(_mark, url, SCHEMA_VERSION + 1, False)
    async with serve(proj_settings) as client:
        await publisher.events(unhappy("u9"))
        health = await _health_until(client, lambda b: b["projector"]["last_error"])
        assert "newer release" in health["projector"]["last_error"] and health["generation"] == newer
        assert (await client.get("/complaints/u9")).status_code == 503
    _, after = await asyncio.to_thread(active_snapshot, url)
    assert_same(before, after)  # nothing written into the newer release's tables
