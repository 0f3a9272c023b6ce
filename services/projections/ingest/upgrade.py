"""Upgrades: the live projector never writes into a generation of another release's shape.

Each generation records the `SCHEMA_VERSION` its tables were built in. When the writer finds the active
one older, it replays the log into a fresh generation (this release's shape) and swaps it in before it
projects; reads answer 503 meanwhile (`api/deps.py`). A newer one is refused: its tables are not ours.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from complaints.settings import Settings
from services.projections.ingest.replay import replay_async
from services.projections.options import ProjectionOptions
from services.projections.storage.store import Catalog, Generation
from services.projections.storage.tables import SCHEMA_VERSION

log = logging.getLogger(__name__)


class Rebuilding(Protocol):
    rebuilding: bool


async def upgraded(gen: Generation, catalog: Catalog, settings: Settings, options: ProjectionOptions,
                   status: Rebuilding) -> Generation:
    """`gen` if it is in this release's shape; an older one rebuilt from the log first (`status.rebuilding`
    meanwhile, so the liveness check counts the replay as progress)."""
    if gen.outdated is None:
        return gen
    if gen.schema_version > SCHEMA_VERSION:
        raise RuntimeError(gen.outdated)  # never write into a newer release's tables (shown in /health)
    log.warning("%s: replaying the log into a new generation before projecting", gen.outdated)
    status.rebuilding = True
    try:
        stats = await replay_async(settings, options=options)
    finally:
        status.rebuilding = False
    log.info("upgraded the read model: generation %s, %s events in %s s", stats.generation, stats.events,
             stats.seconds)
    return await asyncio.to_thread(catalog.ensure_active)
