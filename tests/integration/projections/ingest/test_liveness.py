"""The projector's `/health` answers 503 with why once records wait beyond the liveness bound, and 200 again after."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from complaints.settings import Settings
from services.projections.storage.store import Catalog
from tests.integration.projections.conftest import Publisher, serve
from tests.unit.readmodel.factory import T0, received


@contextmanager
def writes_blocked(url: str) -> Iterator[None]:
    """Another session holds the read model's write lock (reads go on): the projector cannot commit."""
    active = Catalog(url).active()
    assert active is not None
    engine = create_engine(active.location)
    if engine.dialect.name == "sqlite":
        raw = sqlite3.connect(str(engine.url.database), isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.rollback()
            raw.close()
        return
    with engine.connect() as conn, conn.begin():
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'counters%' "
                                  "AND schemaname = current_schema()")).scalars().all()
        for name in names:
            conn.execute(text(f'LOCK TABLE "{name}" IN EXCLUSIVE MODE'))
        yield
        conn.rollback()
    engine.dispose()


async def test_a_projector_that_cannot_apply_its_records_is_reported_stuck(
        proj_settings: Settings, publisher: Publisher) -> None:
    local = proj_settings.model_copy(update={"liveness_bound_s": 2.0})
    async with serve(local) as client:
        await publisher.events([received("c-before", T0)])
        deadline = time.monotonic() + 15
        while (await client.get("/complaints/c-before")).status_code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        with writes_blocked(local.projections_database_url):
            await publisher.events([received("c-held", T0)])
            seen = None
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                seen = await client.get("/health")
                if seen.status_code == 503:
                    break
                await asyncio.sleep(0.3)
            assert seen is not None and seen.status_code == 503, seen.text if seen else None
            body = seen.json()
            assert body["status"] == "stuck" and body["stuck"], body
        deadline = time.monotonic() + 40
        while (await client.get("/complaints/c-held")).status_code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        after = await client.get("/health")
        assert after.status_code == 200 and after.json()["status"] == "ok", after.text
        assert after.json()["projector"]["last_error"] is None
