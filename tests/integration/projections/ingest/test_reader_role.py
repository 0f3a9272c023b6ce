"""A reader-only projections process (`COMPLAINTS_PROJECTIONS_ROLE=reader`) beside the writer, on the same
read model (one SQLite file in WAL mode, or one PostgreSQL schema): it serves what the writer commits,
read-your-writes included, and never writes the read model itself — not even its first generation."""

from __future__ import annotations

import asyncio

import httpx

from complaints.broker.embedded import free_port
from complaints.settings import Settings
from services.projections.storage import queries
from services.projections.storage.store import Catalog
from tests.integration.projections.conftest import Publisher, latest
from tests.integration.projections.ingest.test_crash import start_service, wait_until
from tests.integration.projections.ingest.test_failover import health, stop
from tests.tokens import bearer
from tests.unit.readmodel.factory import sandwich, unhappy

READ_WAIT_S = 1.0


def stored(catalog: Catalog) -> tuple[dict[tuple[str, int], int], dict[str, int]]:
    """The read model's stored offsets and counters (what a write would change)."""
    gen = catalog.ensure_active()
    return queries.offsets(gen), queries.counters(gen)


async def read(port: int, path: str, settings: Settings, **params: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                 headers=bearer(settings, "support-agent")) as client:
        return await client.get(path, params=params)


async def test_a_reader_process_serves_what_the_writer_commits_and_never_writes(
        proj_settings: Settings, publisher: Publisher) -> None:
    settings = proj_settings.model_copy(update={"projections_read_wait_s": READ_WAIT_S})
    catalog = Catalog(settings.projections_database_url)
    ports = {"writer": free_port(), "reader": free_port()}
    # the reader starts first, on a read model nobody has created: it waits for the writer's
    procs = {"reader": start_service(settings, ports["reader"], {"COMPLAINTS_PROJECTIONS_ROLE": "reader"})}
    try:
        procs["writer"] = start_service(settings, ports["writer"])
        await asyncio.to_thread(wait_until, lambda: health(ports["writer"]).get("role") == "writer", 60, "the writer")
        await asyncio.to_thread(wait_until, lambda: health(ports["reader"]).get("status") == "ok", 60, "the reader")
        view = health(ports["reader"])
        assert view["role"] == "reader" and view["projector"] is None, view
        assert [g["state"] for g in catalog.list()] == ["active"], "one generation, the writer's"

        positions = await publisher.events(sandwich("r1") + unhappy("r2"))
        r = await read(ports["reader"], "/complaints/r2", settings, min_position=latest(positions))
        assert r.status_code == 200, r.text
        w = await read(ports["writer"], "/complaints/r2", settings)
        assert r.json() == w.json(), "the reader shows what the writer wrote"
        queue = await read(ports["reader"], "/complaints", settings)
        assert {c["complaint_id"] for c in queue.json()["items"]} == {"r1", "r2"}

        stop(procs.pop("writer"))
        before = stored(catalog)
        late = await publisher.events(sandwich("r3"))
        r = await read(ports["reader"], "/complaints/r3", settings, min_position=latest(late))
        assert r.status_code == 409, "with the writer gone, nobody projects: the reader never does"
        assert stored(catalog) == before, "the reader wrote nothing"
        assert health(ports["reader"])["offsets"] == {f"{t}:{p}": n for (t, p), n in sorted(before[0].items())}

        procs["writer"] = start_service(settings, ports["writer"])  # the writer back: the reader sees it resume
        r = await read(ports["reader"], "/complaints/r3", settings, min_position=latest(late))
        for _ in range(30):
            if r.status_code != 409:
                break
            r = await read(ports["reader"], "/complaints/r3", settings, min_position=latest(late))
        assert r.status_code == 200 and r.json()["complaint_id"] == "r3", r.text
    finally:
        for proc in procs.values():
            stop(proc)
        catalog.dispose()
