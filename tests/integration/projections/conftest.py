"""Projection tests run against the real broker and BOTH databases: SQLite and PostgreSQL.

PostgreSQL: `COMPLAINTS_TEST_POSTGRES_URL` (default 127.0.0.1:5432/test, trust auth); each test
gets its own schema (via `search_path`), dropped afterwards. Skipped only when no PostgreSQL answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from complaints.envelope import Record
from complaints.kafka.producer import EventProducer
from complaints.settings import Settings
from complaints.topics import topic_name
from services.projections.app import create_app
from services.projections.options import ProjectionOptions
from tests.tokens import bearer
from tests.unit.readmodel.factory import Ev

FAST = ProjectionOptions(read_wait_s=10.0, poll_timeout_ms=100, generation_check_s=0.2)


@pytest.fixture
def proj_settings(settings: Settings, db_url: str) -> Settings:
    return settings.model_copy(update={"projections_database_url": db_url})


@asynccontextmanager
async def serve(settings: Settings, options: ProjectionOptions = FAST) -> AsyncIterator[httpx.AsyncClient]:
    """The projections app in this process (lifespan runs the live projector), with a client."""
    app = create_app(settings, options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://projections", timeout=30,
                                     headers=bearer(settings, "support-agent")) as client:
            yield client


class Publisher:
    """Writes records to the broker the way the services do (acks=all) and returns their positions."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer = EventProducer(settings)

    async def __aenter__(self) -> Publisher:
        await self._producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._producer.stop()

    async def records(self, records: list[Record]) -> list[str]:
        return [str(p) for p in await self._producer.publish(records)]

    async def events(self, events: list[Ev]) -> list[str]:
        return await self.records([e.record() for e in events])

    async def raw(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]],
                  partition: int | None = None) -> str:
        if partition is not None:  # a partition of the test's choosing, whatever the key
            meta = await self._producer._producer.send_and_wait(topic_name(self._settings, topic), value, key=key,
                                                                 headers=headers, partition=partition)
            return f"{meta.topic}:{meta.partition}:{meta.offset}"
        return str(await self._producer.send_raw(topic_name(self._settings, topic), value, key, headers))


@pytest.fixture
async def publisher(proj_settings: Settings) -> AsyncIterator[Publisher]:
    async with Publisher(proj_settings) as pub:
        yield pub


def latest(positions: list[str]) -> str:
    """The highest position per topic/partition, comma-joined: a `min_position` covering them all."""
    best: dict[str, int] = {}
    for p in positions:
        head, _, offset = p.rpartition(":")
        best[head] = max(best.get(head, -1), int(offset))
    return ",".join(f"{h}:{o}" for h, o in sorted(best.items()))
